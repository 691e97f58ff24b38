package io.edgestack.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * For tests: a real PHP-FPM (Debian's php-fpm package) on a loopback port, in the foreground, four workers, logging to
 * a temporary folder. As root it runs its workers as root too ({@code -R}), which it otherwise refuses.
 */
public final class PhpFpm implements AutoCloseable {

    private final Process process;
    private final Path dir;
    private final int port;
    private final Path socket;

    private PhpFpm(Process process, Path dir, int port, Path socket) {
        this.process = process;
        this.dir = dir;
        this.port = port;
        this.socket = socket;
    }

    /** On a loopback port. */
    public static PhpFpm start() throws Exception {
        return start(false);
    }

    /** On a unix socket ({@link #socket}) when {@code unix}, as Debian's own pool listens; else on a loopback port. */
    public static PhpFpm start(boolean unix) throws Exception {
        Path binary = binary();
        Path dir = Files.createTempDirectory("edgestack-php-fpm-");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        Path socket = unix ? dir.resolve("php-fpm.sock") : null;
        Files.writeString(dir.resolve("php-fpm.conf"), """
                [global]
                error_log = %1$s/php-fpm.log
                pid = %1$s/php-fpm.pid
                daemonize = no
                [site]
                listen = %2$s
                %3$s
                pm = static
                pm.max_children = 4
                catch_workers_output = yes
                decorate_workers_output = no
                php_admin_flag[log_errors] = on
                php_flag[expose_php] = on
                """.formatted(dir, unix ? socket.toString() : "127.0.0.1:" + port, root ? "user = root\ngroup = root" : ""));
        Process process = new ProcessBuilder(binary.toString(), "--nodaemonize", "--fpm-config", dir.resolve("php-fpm.conf").toString(),
                "--prefix", dir.toString(), root ? "--allow-to-run-as-root" : "--nodaemonize")
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        PhpFpm fpm = new PhpFpm(process, dir, port, socket);
        ProcessReady.await("php-fpm", process, fpm, dir.resolve("out.log"), 20_000,
                unix ? () -> Files.exists(socket) : ProcessReady.listening(port));
        return fpm;
    }

    public int port() {
        return port;
    }

    /** The unix socket it listens on, or null. */
    public Path socket() {
        return socket;
    }

    /** What PHP-FPM logged, the scripts' error_log and error stream included. */
    public String log() throws IOException {
        Path log = dir.resolve("php-fpm.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    private static Path binary() throws IOException {
        for (String dir : new String[] {"/usr/sbin", "/usr/bin", "/usr/local/sbin"}) {
            Path folder = Path.of(dir);
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> files = Files.list(folder)) {
                var found = files.filter(p -> p.getFileName().toString().matches("php-fpm[0-9.]*")).sorted().findFirst();
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        throw new IllegalStateException("php-fpm is not installed: apt-get install php-fpm");
    }
}
