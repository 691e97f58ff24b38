package io.edgestack.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * For tests: a real Redis server ({@code redis-server}, Debian's redis-server package) on a loopback port, nothing
 * saved to disk, with a password and, when asked, over TLS only (a certificate made with {@code openssl} for
 * {@code localhost}).
 */
public final class RedisServer implements AutoCloseable {

    private final Process process;
    private final Path dir;
    private final int port;

    private RedisServer(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** A server that asks for {@code password} (none when null), over TLS only when {@code tls}. */
    public static RedisServer start(String password, boolean tls) throws Exception {
        Path dir = Files.createTempDirectory("edgestack-redis-");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly",
                "no", "--dir", dir.toString(), "--databases", "4"));
        if (password != null) {
            command.addAll(List.of("--requirepass", password));
        }
        if (tls) {
            Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(), "-days", "2", "-subj",
                    "/CN=localhost").redirectErrorStream(true).start();
            String said = new String(openssl.getInputStream().readAllBytes());
            if (openssl.waitFor() != 0) {
                throw new IllegalStateException("openssl failed: " + said);
            }
            command.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port), "--tls-cert-file",
                    dir.resolve("cert.pem").toString(), "--tls-key-file", dir.resolve("key.pem").toString(),
                    "--tls-auth-clients", "no"));
        } else {
            command.addAll(List.of("--port", Integer.toString(port)));
        }
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server is not installed: apt-get install redis-server", e);
        }
        RedisServer server = new RedisServer(process, dir, port);
        ProcessReady.await("redis-server", process, server, dir.resolve("server.log"), 20_000, ProcessReady.listening(port));
        return server;
    }

    public int port() {
        return port;
    }

    /** The server's certificate (PEM), for a client that trusts it. */
    public Path certificate() {
        return dir.resolve("cert.pem");
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
