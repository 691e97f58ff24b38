package io.edgestack.proxy.http;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

/**
 * The packaged service as a real process, stopped with SIGTERM while a proxied request is in flight: it finishes that
 * request, and answers new ones {@code 503} with {@code Retry-After} meanwhile. Over HTTP/1.1 that answer says
 * {@code Connection: close} and the connection is closed after it; over HTTP/2 (h2c) it carries no connection header,
 * which is malformed there (RFC 9113 §8.2.2) and made HTTP/2 clients refuse the answer.
 */
class DrainIT {

    @Test
    void answersNewRequests503WhileItDrainsOverHttp1AndHttp2(@TempDir Path dir) throws Exception {
        CountDownLatch slowStarted = new CountDownLatch(1);
        HttpServer origin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        origin.createContext("/", exchange -> {
            if (exchange.getRequestURI().getPath().equals("/slow")) {
                slowStarted.countDown();
                try {
                    Thread.sleep(8000); // longer than RawHttp waits for a close (5 s)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = "from the origin".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        origin.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        origin.start();
        Path sites = Files.writeString(dir.resolve("sites.yaml"), """
                sites:
                  - name: example
                    routes:
                      - path: /
                        upstream: {targets: ["http://127.0.0.1:%d"]}
                """.formatted(origin.getAddress().getPort()));
        int port = freePort();
        Path log = dir.resolve("proxy.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process proxy = new ProcessBuilder(List.of(java, "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port,
                "-Dquarkus.management.port=0", "-Dquarkus.shutdown.timeout=20s", "-Dedgestack.proxy.sites-file=" + sites,
                "-Dedgestack.proxy.releases-root=" + dir.resolve("releases"), "-jar", "target/quarkus-app/quarkus-run.jar"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        HttpClient http1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        HttpClient http2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(2)).build();
        try {
            awaitAnswer(http1, port, proxy, log);
            // An HTTP/2 connection (h2c upgrade) made before the stop, used again during it.
            HttpResponse<String> before = http2.send(request(port, "/before"), HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_2, before.version(), "h2c upgrade");

            CompletableFuture<HttpResponse<String>> slow = http1.sendAsync(request(port, "/slow"),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(slowStarted.await(10, TimeUnit.SECONDS), "the slow request reached the origin");
            proxy.destroy(); // SIGTERM: drain
            Thread.sleep(500);

            RawHttp.Answer refused = RawHttp.send(port, "GET /new HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertEquals(503, refused.status(), refused.head());
            assertEquals("1", refused.header("Retry-After"), refused.head());
            assertEquals("close", refused.header("Connection"), refused.head());
            assertTrue(refused.closed(), "closed after the 503: " + refused.head());

            HttpResponse<String> refusedH2 = http2.send(request(port, "/new-h2"), HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_2, refusedH2.version());
            assertEquals(503, refusedH2.statusCode());
            assertFalse(refusedH2.headers().firstValue("Connection").isPresent(), "no connection header in HTTP/2");

            HttpResponse<String> finished = slow.get(15, TimeUnit.SECONDS);
            assertEquals(200, finished.statusCode(), "the request in flight was finished");
            assertEquals("from the origin", finished.body());
            assertTrue(proxy.waitFor(30, TimeUnit.SECONDS), "stopped after the drain");
        } finally {
            proxy.destroyForcibly();
            origin.stop(0);
        }
    }

    private static HttpRequest request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build();
    }

    private static void awaitAnswer(HttpClient client, int port, Process proxy, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                client.send(request(port, "/ready"), HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException notYet) {
                if (!proxy.isAlive()) {
                    break;
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("proxy-service did not start:\n" + Files.readString(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
