package io.edgestack.proxy.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Sends bytes exactly as written (no client-side path normalisation) and reads the answer until the server closes.
 */
public final class RawHttp {

    /** {@code closed}: the server closed the connection after its answer (else the read ended by timing out). */
    public record Answer(int status, String head, String body, boolean closed) {
        public String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    private RawHttp() {
    }

    public static Answer send(int port, String request) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            boolean closed = false;
            try {
                while ((n = in.read(buffer)) >= 0) {
                    bytes.write(buffer, 0, n);
                }
                closed = true;
            } catch (java.net.SocketTimeoutException e) {
                // keep-alive: what arrived is the answer
            }
            String text = bytes.toString(StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            String head = end < 0 ? text : text.substring(0, end);
            String body = end < 0 ? "" : text.substring(end + 4);
            int status = head.length() >= 12 ? Integer.parseInt(head.substring(9, 12)) : -1;
            return new Answer(status, head, body, closed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Answer get(int port, String rawPath) {
        return send(port, "GET " + rawPath + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    }
}
