package io.edgestack.tunnel.connector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A TCP listener on a random loopback port standing in for an edge's connector listener; accepted sockets are closed.
 */
public class FakeEdgeListener implements QuarkusTestResourceLifecycleManager {

    static ServerSocket socket;

    @Override
    public Map<String, String> start() {
        try {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try (Socket accepted = socket.accept()) {
                    accepted.getInputStream().available();
                } catch (IOException closed) {
                    return;
                }
            }
        }, "fake-edge");
        acceptor.setDaemon(true);
        acceptor.start();
        return Map.of(
                "edgestack.tunnel.mode", "connector",
                "edgestack.tunnel.connector.edge-addresses", "127.0.0.1:" + socket.getLocalPort(),
                "edgestack.tunnel.connector.probe-interval", "100ms");
    }

    static void close() throws IOException {
        socket.close();
    }

    @Override
    public void stop() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed by the test
        }
    }
}
