package io.edgestack.proxy.files;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.Decoder;
import com.github.luben.zstd.Zstd;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.config.DecoderConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;

/** The in-memory copies of small files, with the default way of trusting the disk for a short interval. */
@QuarkusTest
@TestProfile(HotFilesTest.Trusting.class)
class HotFilesTest {

    public static class Trusting implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("edgestack.proxy.files.check-interval", "300ms",
                    "edgestack.proxy.files.cache-max-file", "64K",
                    "edgestack.proxy.releases-root", "target/hot-releases");
        }
    }

    static final RestAssuredConfig RAW = RestAssuredConfig.config()
            .decoderConfig(DecoderConfig.decoderConfig().noContentDecoders());
    static final String PAGE = "<p>A page that is served from memory once it has been read.</p>\n".repeat(100);

    @TestHTTPResource(value = "", management = true)
    URL management;

    private final TestRelease release = new TestRelease(Path.of("target/hot-releases"), "example");

    @BeforeEach
    void release() throws Exception {
        release.clear();
        release.file("r1", "index.html", "<h1>One</h1>");
        release.file("r1", "page/index.html", PAGE);
        release.file("r1", "big.html", "<p>too big to be held</p>\n".repeat(4000));
        release.activate("r1");
        Thread.sleep(400); // what earlier tests left in memory is checked again
    }

    @Test
    void aReleasesRedirectsApplyAlsoToPathsServedFromMemory() throws Exception {
        given().get("/page/").then().statusCode(200);
        awaitTrue(() -> {
            double before = counter("hit");
            given().get("/page/").then().statusCode(200);
            return counter("hit") > before;
        }, "/page/ is answered from memory");
        release.file("r2", "page/index.html", PAGE);
        release.file("r2", "_redirects", "/page/  /new-page/  307\n");
        release.activate("r2");
        Thread.sleep(400); // past the trusted interval: the switch is seen
        for (int i = 0; i < 3; i++) { // read once from the disk with the release, then from the event loop
            given().redirects().follow(false).get("/page/").then().statusCode(307).header("Location", "/new-page/");
        }
    }

    @Test
    void aReleasesHeadersApplyAlsoToFilesServedFromMemory() throws Exception {
        release.file("r-headers", "page/index.html", PAGE);
        release.file("r-headers", "_headers", "/page/*\n  X-From-Release: yes\n  Cache-Control: no-cache\n");
        release.activate("r-headers");
        Thread.sleep(400);
        double before = counter("hit");
        for (int i = 0; i < 20 && counter("hit") == before; i++) { // until one is answered from memory
            given().get("/page/").then().statusCode(200).header("X-From-Release", "yes").header("Cache-Control", "no-cache");
        }
        assertTrue(counter("hit") > before, "answered from memory");
        given().get("/page/").then().statusCode(200).header("X-From-Release", "yes");
    }

    @Test
    void servesASmallFileFromMemoryOnceItHasBeenRead() throws Exception {
        given().get("/page/").then().statusCode(200);
        awaitTrue(() -> {
            double before = counter("hit");
            given().get("/page/").then().statusCode(200);
            return counter("hit") > before;
        }, "a later request is answered from memory");

        double missesBefore = counter("miss");
        for (int i = 0; i < 3; i++) {
            given().get("/big.html").then().statusCode(200);
        }
        assertEquals(missesBefore + 3, counter("miss"), "a file above cache-max-file is always read from disk");
    }

    @Test
    void compressesAFileOnceAndServesEveryCodingFromMemory() throws Exception {
        awaitTrue(() -> "gzip".equals(given().config(RAW).header("Accept-Encoding", "gzip").get("/page/")
                .header("Content-Encoding")) && counter("hit") > 0, "the compressed copy is in memory");
        byte[] original = PAGE.getBytes(StandardCharsets.UTF_8);
        Brotli4jLoader.ensureAvailability();
        for (String coding : new String[] {"gzip", "br", "zstd"}) {
            Response response = given().config(RAW).header("Accept-Encoding", coding).get("/page/");
            assertEquals(200, response.statusCode());
            assertEquals(coding, response.header("Content-Encoding"));
            assertEquals("Accept-Encoding", response.header("Vary"));
            assertTrue(response.header("ETag").startsWith("W/\""), "a compressed variant has a weak ETag");
            byte[] body = response.asByteArray();
            assertTrue(body.length < original.length / 5, coding + " compressed " + body.length);
            byte[] decoded = switch (coding) {
                case "gzip" -> new GZIPInputStream(new ByteArrayInputStream(body)).readAllBytes();
                case "br" -> Decoder.decompress(body).getDecompressedData();
                default -> Zstd.decompress(body, original.length);
            };
            assertArrayEquals(original, decoded, coding + " decodes to the file");
            given().config(RAW).header("Accept-Encoding", coding).header("If-None-Match", response.header("ETag"))
                    .get("/page/").then().statusCode(304);
        }
        given().config(RAW).get("/page/").then().statusCode(200).header("Content-Encoding", (String) null)
                .header("ETag", org.hamcrest.Matchers.startsWith("\""));
        given().config(RAW).header("Accept-Encoding", "gzip").header("Range", "bytes=3-9").get("/page/").then()
                .statusCode(206).header("Content-Encoding", (String) null).header("Content-Range", "bytes 3-9/" + original.length);
    }

    @Test
    void seesAReleaseSwitchWithinTheCheckInterval() throws Exception {
        warm("/");
        release.file("r2", "index.html", "<h1>Two</h1>");
        long start = System.nanoTime();
        release.activate("r2");
        awaitTrue(() -> given().get("/").asString().equals("<h1>Two</h1>"), "the new release is served");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 1500, "switch seen after " + millis + " ms (check interval 300 ms)");
    }

    @Test
    void seesAFileChangedInPlace() throws Exception {
        warm("/");
        release.file("r1", "index.html", "<h1>One, edited in place</h1>");
        awaitTrue(() -> given().get("/").asString().equals("<h1>One, edited in place</h1>"), "the edited file is served");
    }

    /**
     * A file read from disk that is removed between its look-up (on a worker) and its answer (on the event loop): the
     * look-up said 200, the open fails. Vert.x's {@code sendFile} then wrote nothing at all and the visitor waited for the
     * idle timeout (a multi-range answer was a reset, a vanished 404 page a wait too). Now it is answered as a look-up
     * would answer it then, 404. One case is left that can only be cut short: the file going in the microseconds between
     * Vert.x's own check that it exists and its open, after which Vert.x holds the head as written (a few in this run).
     */
    @Test
    void aFileRemovedBetweenItsLookUpAndItsAnswerIsA404NotAHang() throws Exception {
        Path big = release.dir("r1").resolve("big.html");
        Path away = release.dir("r1").resolve("big.away");
        Path page = release.file("r1", "404.html", "<h1>Our own 404 page</h1>"); // the not-found page goes too
        Path pageAway = release.dir("r1").resolve("404.away");
        long size = Files.size(big);
        AtomicBoolean run = new AtomicBoolean(true);
        Thread toggler = new Thread(() -> { // the files there and gone in turns, each state held longer than a request takes
            try {
                while (run.get()) {
                    Files.move(big, away, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(page, pageAway, StandardCopyOption.ATOMIC_MOVE);
                    LockSupport.parkNanos(300_000);
                    Files.move(away, big, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(pageAway, page, StandardCopyOption.ATOMIC_MOVE);
                    LockSupport.parkNanos(300_000);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI base = URI.create("http://localhost:" + RestAssured.port + "/");
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        List<String> wrong = new CopyOnWriteArrayList<>();
        int requests = 1200;
        toggler.start();
        try {
            List<CompletableFuture<?>> batch = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(i % 3 == 2 ? "/nothing-here" : "/big.html"))
                        .timeout(Duration.ofSeconds(5));
                if (i % 3 == 1) {
                    request.header("Range", "bytes=0-9,100-109");
                }
                String what = (i % 3 == 2 ? "/nothing-here" : "/big.html") + (i % 3 == 1 ? " (two ranges)" : "");
                batch.add(client.sendAsync(request.build(), BodyHandlers.ofByteArray()).handle((r, failed) -> {
                    if (failed != null) { // a timeout is the fault this test is about; a connection cut, the rare case
                        Throwable cause = failed instanceof CompletionException ? failed.getCause() : failed;
                        outcomes.merge(cause instanceof HttpTimeoutException ? "timeout" : "cut", 1, Integer::sum);
                        if (cause instanceof HttpTimeoutException) {
                            wrong.add(what + ": no answer within 5 s");
                        }
                        return null;
                    }
                    outcomes.merge(String.valueOf(r.statusCode()), 1, Integer::sum);
                    String body = new String(r.body(), StandardCharsets.UTF_8);
                    boolean right = switch (r.statusCode()) {
                        case 200 -> r.body().length == size;
                        case 206 -> r.headers().firstValue("Content-Type").orElse("").startsWith("multipart/byteranges")
                                && body.contains("Content-Range: bytes 100-109/" + size);
                        case 404 -> body.contains("Not Found") || body.contains("Our own 404 page");
                        default -> false;
                    };
                    if (!right) {
                        wrong.add(what + ": " + r.statusCode() + " of " + r.body().length + " bytes");
                    }
                    return null;
                }));
                if (batch.size() == 16) { // 16 at a time
                    CompletableFuture.allOf(batch.toArray(new CompletableFuture[0])).join();
                    batch.clear();
                }
            }
            CompletableFuture.allOf(batch.toArray(new CompletableFuture[0])).join();
        } finally {
            run.set(false);
            toggler.join();
        }
        assertEquals(List.of(), wrong, "every request answered right: " + outcomes);
        assertTrue(outcomes.getOrDefault("404", 0) > 0 && outcomes.getOrDefault("200", 0) > 0, "both seen: " + outcomes);
        assertTrue(outcomes.getOrDefault("cut", 0) < requests / 50, "cut short only in the rare case: " + outcomes);
    }

    private void warm(String path) throws Exception {
        awaitTrue(() -> {
            double before = counter("hit");
            given().get(path).then().statusCode(200);
            return counter("hit") > before;
        }, path + " is served from memory");
    }

    private double counter(String result) {
        String text = given().accept("text/plain").get(management + "metrics").asString();
        for (String line : text.split("\n")) {
            if (line.startsWith("edgestack_proxy_file_cache_requests_total{") && line.contains("result=\"" + result + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private static void awaitTrue(Supplier<Boolean> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (condition.get()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not within 5 s: " + what);
    }
}
