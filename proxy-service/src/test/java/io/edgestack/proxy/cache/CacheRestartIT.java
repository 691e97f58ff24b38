package io.edgestack.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

/**
 * The packaged service as a real process with a disk tier: what it stored answers after a restart, even with the
 * origin down, and a damaged file is a miss, never an answer.
 */
class CacheRestartIT {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void answersFromTheDiskTierAfterARestartAndNeverFromADamagedFile(@TempDir Path dir) throws Exception {
        AtomicInteger originHits = new AtomicInteger();
        int originPort = freePort();
        HttpServer origin = origin(originPort, "from the origin", originHits);
        Path sites = Files.writeString(dir.resolve("sites.yaml"), """
                sites:
                  - name: example
                    routes:
                      - path: /
                        upstream: {targets: ["http://127.0.0.1:%d"], retries: 0, passive: {failures: 0}}
                    edge-cache: {}
                """.formatted(originPort));
        Path cacheDir = dir.resolve("cache");
        int port = freePort();

        Process proxy = start(dir, sites, cacheDir, port);
        try {
            HttpResponse<String> first = get(port, "/page");
            assertEquals("MISS", first.headers().firstValue("X-Cache").orElse(""));
            awaitFiles(cacheDir, 1);
        } finally {
            stop(proxy);
        }
        origin.stop(0);

        proxy = start(dir, sites, cacheDir, port);
        try {
            HttpResponse<String> again = get(port, "/page");
            assertEquals(200, again.statusCode());
            assertEquals("from the origin", again.body());
            assertEquals("HIT", again.headers().firstValue("X-Cache").orElse(""), "answered from disk, origin down");
            assertEquals(1, originHits.get());
        } finally {
            stop(proxy);
        }

        Path file = cacheDir.resolve(DiskTier.name("http://127.0.0.1:" + port + "/page"));
        assertTrue(Files.exists(file), "the entry of /page is on disk");
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 10] ^= 0x01;
        Files.write(file, bytes);
        origin = origin(originPort, "fresh from the origin", originHits);
        proxy = start(dir, sites, cacheDir, port);
        try {
            HttpResponse<String> afterDamage = get(port, "/page");
            assertEquals("fresh from the origin", afterDamage.body(), "the damaged copy is never served");
            assertEquals("MISS", afterDamage.headers().firstValue("X-Cache").orElse(""));
            assertFalse(Files.exists(file) && java.util.Arrays.equals(Files.readAllBytes(file), bytes),
                    "the damaged file was deleted (or replaced by the new copy)");
        } finally {
            stop(proxy);
            origin.stop(0);
        }
    }

    private static HttpServer origin(int port, String body, AtomicInteger hits) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", exchange -> {
            if (exchange.getRequestURI().getPath().equals("/page")) {
                hits.incrementAndGet(); // the start-up probes are not counted
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Cache-Control", "max-age=3600");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return server;
    }

    private Process start(Path dir, Path sites, Path cacheDir, int port) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(java, "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.port=0", "-Dedgestack.proxy.sites-file=" + sites,
                "-Dedgestack.proxy.releases-root=" + dir.resolve("releases"),
                "-Dedgestack.proxy.cache.disk-dir=" + cacheDir, "-jar", "target/quarkus-app/quarkus-run.jar"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("proxy.log").toFile()))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q-not-here")).build(),
                        HttpResponse.BodyHandlers.discarding());
                return process;
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(100);
            }
        }
        process.destroyForcibly();
        throw new AssertionError("proxy-service did not start:\n" + Files.readString(dir.resolve("proxy.log")));
    }

    private static void stop(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitFiles(Path dir, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir)) {
                    if (files.filter(f -> f.toString().endsWith(".entry")).count() >= count) {
                        return;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no cache file written in " + dir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
