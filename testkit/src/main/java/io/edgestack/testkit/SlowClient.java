package io.edgestack.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * Slowloris clients on a loopback port: one that connects and says nothing, one that trickles a request head a byte at a
 * time (each byte would reset an idle timeout). Both measure how long the server lets them keep the connection.
 */
public final class SlowClient {

    private SlowClient() {
    }

    /**
     * Seconds until the server closes (or resets) the connection; an AssertionError when it is still open after
     * {@code patienceSeconds} or when it sends anything.
     */
    public static double secondsUntilClosed(int port, int patienceSeconds) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(patienceSeconds * 1000);
            long start = System.nanoTime();
            int read;
            try {
                read = socket.getInputStream().read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("a silent connection to port " + port + " is still open after " + patienceSeconds
                        + " s");
            } catch (IOException e) {
                read = -1; // reset: closed too
            }
            if (read >= 0) {
                throw new AssertionError("the server sent a byte (" + read + ") to a client that said nothing");
            }
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /**
     * Sends {@code head} a byte every {@code millisPerByte} until the server closes (or resets) the connection; the
     * seconds from the first byte to the close. An AssertionError when all of it went out and the connection is open.
     */
    public static double secondsTricklingUntilClosed(int port, byte[] head, int millisPerByte) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            socket.setSoTimeout(millisPerByte);
            long start = System.nanoTime();
            for (byte b : head) {
                try {
                    out.write(b);
                    out.flush();
                    if (in.read() < 0) {
                        return (System.nanoTime() - start) / 1e9;
                    }
                    throw new AssertionError("the server answered a head still on its way");
                } catch (SocketTimeoutException e) {
                    // nothing yet: the next byte
                } catch (IOException e) {
                    return (System.nanoTime() - start) / 1e9; // reset while writing or reading
                }
            }
            throw new AssertionError("the connection to port " + port + " is still open after " + (System.nanoTime() - start) / 1e9
                    + " s of a head on its way (" + head.length + " bytes)");
        }
    }
}
