package io.edgestack.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * For tests: a real MariaDB server ({@code mariadbd}, Debian's mariadb-server package) in a temporary folder on a
 * loopback port, with a user {@code edgestack} (password {@code s3cret-pw}) allowed everything, and a database
 * {@code shop}. As root it runs as root ({@code --user=root}), which mariadbd otherwise refuses.
 */
public final class MariaDbServer implements AutoCloseable {

    public static final String USER = "edgestack";
    public static final String PASSWORD = "s3cret-pw";

    private final Process process;
    private final Path dir;
    private final int port;

    private MariaDbServer(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    public static MariaDbServer start() throws Exception {
        Path dir = Files.createTempDirectory("edgestack-mariadb-");
        String user = System.getProperty("user.name");
        run(dir, List.of("mariadb-install-db", "--no-defaults", "--datadir=" + dir.resolve("data"), "--user=" + user,
                "--auth-root-authentication-method=socket", "--skip-test-db"));
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path socket = dir.resolve("mysqld.sock");
        String mariadbd = Files.isExecutable(Path.of("/usr/sbin/mariadbd")) ? "/usr/sbin/mariadbd" : "mariadbd";
        Process process = new ProcessBuilder(mariadbd, "--no-defaults", "--datadir=" + dir.resolve("data"), "--user=" + user,
                "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + socket, "--pid-file=" + dir.resolve("mysqld.pid"),
                "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--log-error=" + dir.resolve("error.log"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        MariaDbServer server = new MariaDbServer(process, dir, port);
        ProcessReady.await("mariadbd", process, server, dir.resolve("error.log"), 60_000, () -> Files.exists(socket));
        run(dir, List.of("mariadb", "--no-defaults", "--socket=" + socket, "-u", "root", "-e",
                "CREATE USER '" + USER + "'@'%' IDENTIFIED BY '" + PASSWORD + "'; GRANT ALL ON *.* TO '" + USER + "'@'%'; "
                        + "CREATE DATABASE shop;"));
        return server;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    private static void run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException(command.get(0) + " is not installed: apt-get install mariadb-server", e);
        }
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
    }
}
