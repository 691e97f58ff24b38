package io.edgestack.testkit;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;

/** A client that connects to a loopback port and says nothing, as a slowloris client does before its first byte. */
public final class SilentClient {

    private SilentClient() {
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
}
