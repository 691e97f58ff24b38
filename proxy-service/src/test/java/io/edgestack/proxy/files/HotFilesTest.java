package io.edgestack.proxy.files;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
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
