package io.edgestack.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Reading an HTTP/1.1 answer off a plain socket, for tests that speak HTTP by hand. */
public final class RawAnswer {

    private RawAnswer() {
    }

    /** An answer with a {@code Content-Length}: its head, then that many bytes, as one ISO-8859-1 string. */
    public static String read(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || head.lastIndexOf("\r\n\r\n") != head.length() - 4) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("closed after: " + head);
            }
            head.append((char) b);
        }
        String length = head.toString().lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("content-length:")).findFirst()
                .orElseThrow(() -> new AssertionError("no content-length: " + head)).substring(15).trim();
        return head + new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.ISO_8859_1);
    }

    /**
     * Sends {@code head} (request line and header lines, each ending in CRLF) with a {@code Content-Length} of
     * {@code size}, then that many bytes written by another thread while the answer is read; returns the answer once the
     * server has also taken the whole body (an exception when it stalled for 10 s or the connection was reset).
     */
    public static String afterUpload(Socket socket, String head, int size) throws Exception {
        OutputStream out = socket.getOutputStream();
        out.write((head + "Content-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
            byte[] piece = new byte[64 * 1024];
            try {
                for (int left = size; left > 0; left -= piece.length) {
                    out.write(piece, 0, Math.min(left, piece.length));
                }
            } catch (IOException cut) {
                throw new UncheckedIOException(cut);
            }
        });
        String answer = read(socket.getInputStream());
        sent.get(10, TimeUnit.SECONDS);
        return answer;
    }
}
