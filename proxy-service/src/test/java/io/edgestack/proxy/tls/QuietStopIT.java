package io.edgestack.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service as a real process, with TLS and the plain-HTTP redirect (two public servers): stopped with
 * SIGTERM, it stops gracefully and logs no warning or error on the way. Quarkus closes Vert.x right after the
 * service's own shutdown; servers still stopping then were undeployed a second time, which Vert.x logged as an error.
 */
class QuietStopIT {

    @Test
    void stopsWithoutAWarningOrAnError(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("proxy.p12");
        TlsTest.keystore("stop.test", keystore);
        Path log = dir.resolve("proxy.log");
        for (int run = 1; run <= 3; run++) {
            int https = freePort();
            int http = freePort();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process proxy = new ProcessBuilder(List.of(java, "-Dquarkus.http.host=127.0.0.1",
                    "-Dquarkus.http.port=" + http, "-Dquarkus.http.ssl-port=" + https, "-Dquarkus.management.port=0",
                    "-Dquarkus.http.ssl.certificate.key-store-file=" + keystore,
                    "-Dquarkus.http.ssl.certificate.key-store-password=changeit",
                    "-Dquarkus.http.insecure-requests=redirect",
                    "-Dedgestack.proxy.releases-root=" + dir.resolve("releases"), "-jar", "target/quarkus-app/quarkus-run.jar"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            try {
                awaitListening(proxy, https, log);
                awaitListening(proxy, http, log);
            } finally {
                proxy.destroy();
                if (!proxy.waitFor(30, TimeUnit.SECONDS)) {
                    proxy.destroyForcibly();
                }
            }
            String text = Files.readString(log);
            assertEquals(run, text.lines().filter(l -> l.contains("proxy-service stopped in")).count(),
                    "stop " + run + " was graceful:\n" + text);
            List<String> loud = text.lines().filter(l -> l.matches(".* (WARN|WARNING|ERROR|SEVERE) .*")).toList();
            assertTrue(loud.isEmpty(), "stop " + run + " logged:\n" + String.join("\n", loud));
        }
    }

    private static void awaitListening(Process proxy, int port, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                if (!proxy.isAlive()) {
                    break;
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("proxy-service did not listen on " + port + ":\n" + Files.readString(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
