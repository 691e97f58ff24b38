package io.edgestack.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/** Waits for a server a test started as a process (PHP-FPM, Redis, MariaDB) to be ready. */
final class ProcessReady {

    private ProcessReady() {
    }

    /**
     * Returns once {@code ready} holds; if the process dies or {@code timeoutMillis} pass first, closes {@code server}
     * and fails with what the process wrote to {@code log}.
     */
    static void await(String name, Process process, AutoCloseable server, Path log, long timeoutMillis, BooleanSupplier ready)
            throws Exception {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (!ready.getAsBoolean()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                server.close();
                throw new IllegalStateException(name + " did not start: " + (Files.exists(log) ? Files.readString(log) : ""));
            }
            Thread.sleep(50);
        }
    }

    /** Whether something accepts connections on {@code port} of the loopback address. */
    static BooleanSupplier listening(int port) {
        return () -> {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return true;
            } catch (IOException notYet) {
                return false;
            }
        };
    }
}
