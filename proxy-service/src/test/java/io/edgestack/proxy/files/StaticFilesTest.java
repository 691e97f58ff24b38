package io.edgestack.proxy.files;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.edgestack.proxy.http.RawHttp;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.config.DecoderConfig;
import io.restassured.config.RestAssuredConfig;
import io.restassured.response.Response;

@QuarkusTest
class StaticFilesTest {

    static final String INDEX = "<!doctype html><title>Home</title><h1>Welcome</h1>";

    @TestHTTPResource("/")
    URL url;

    private final TestRelease release = new TestRelease(Path.of("target/test-releases"), "example");

    @BeforeEach
    void release() throws Exception {
        release.clear();
        release.file("r1", "index.html", INDEX);
        release.file("r1", "blog/hello/index.html", "<h1>Hello post</h1>");
        release.file("r1", "about.html", "<h1>About</h1>");
        release.file("r1", "assets/app.3f9a2c1b.js", "console.log('app');\n".repeat(50));
        release.file("r1", "assets/app.3f9a2c1b.js.gz", gzip("console.log('app');\n".repeat(50)));
        release.file("r1", "data/report.bin", "0123456789".getBytes());
        release.file("r1", "blog/long/index.html", "<p>A long article body that compresses well.</p>\n".repeat(200));
        release.file("r1", "images/photo.png", new byte[4096]);
        release.file("r1", "404.html", "<h1>Our own not found page</h1>");
        release.file("r1", ".git/config", "secret");
        Files.writeString(Path.of("target/outside-secret.txt"), "outside");
        Files.deleteIfExists(release.dir("r1").resolve("leak.txt"));
        Files.createSymbolicLink(release.dir("r1").resolve("leak.txt"), Path.of("target/outside-secret.txt").toAbsolutePath());
        release.activate("r1");
    }

    @Test
    void servesTheIndexOfTheLiveReleaseWithValidators() {
        given().get("/").then().statusCode(200)
                .contentType("text/html; charset=utf-8")
                .header("ETag", matchesPattern("\"[0-9a-f]+-[0-9a-f]+\""))
                .header("Last-Modified", containsString("GMT"))
                .header("Cache-Control", "public, max-age=0, must-revalidate")
                .header("Content-Length", String.valueOf(INDEX.length()))
                .body(equalTo(INDEX));
    }

    @Test
    void mapsCleanUrlsAsAstroEmitsThem() {
        given().redirects().follow(false).get("/blog/hello?ref=x").then().statusCode(301)
                .header("Location", "/blog/hello/?ref=x");
        given().get("/blog/hello/").then().statusCode(200).body(equalTo("<h1>Hello post</h1>"));
        given().get("/about").then().statusCode(200).body(equalTo("<h1>About</h1>"));
        given().get("/about.html").then().statusCode(200).body(equalTo("<h1>About</h1>"));
    }

    @Test
    void answers304ToMatchingConditionalRequests() {
        Response first = given().get("/");
        String etag = first.header("ETag");
        String lastModified = first.header("Last-Modified");

        given().header("If-None-Match", "\"other\", " + etag).get("/").then().statusCode(304).header("ETag", etag);
        given().header("If-None-Match", "W/" + etag).get("/").then().statusCode(304);
        given().header("If-Modified-Since", lastModified).get("/").then().statusCode(304);
        given().header("If-None-Match", "\"other\"").header("If-Modified-Since", lastModified).get("/")
                .then().statusCode(200);
    }

    /** If-Match and If-Unmodified-Since, as nginx and Go's file server (Caddy) evaluate them (ignored before). */
    @Test
    void answers412WhenAPreconditionFails() {
        Response first = given().get("/data/report.bin");
        String etag = first.header("ETag");
        String lastModified = first.header("Last-Modified");
        given().header("If-Match", "\"other\"").get("/data/report.bin").then().statusCode(412).body(equalTo(""));
        given().header("If-Match", "W/" + etag).get("/data/report.bin").then().statusCode(412); // compared strongly
        given().header("If-Match", "\"other\", " + etag).header("Range", "bytes=0-1").get("/data/report.bin").then()
                .statusCode(206).body(equalTo("01")); // a download resumed while the file is the same
        given().header("If-Match", "*").get("/data/report.bin").then().statusCode(200);
        given().header("If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT").get("/data/report.bin").then().statusCode(412);
        given().header("If-Unmodified-Since", lastModified).get("/data/report.bin").then().statusCode(200);
        given().header("If-Unmodified-Since", "not a date").get("/data/report.bin").then().statusCode(200);
        // If-Match decides alone when both are sent (RFC 9110 §13.2.2)
        given().header("If-Match", etag).header("If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT").get("/data/report.bin")
                .then().statusCode(200);
    }

    @Test
    void servesByteRanges() {
        given().header("Range", "bytes=2-5").get("/data/report.bin").then().statusCode(206)
                .header("Content-Range", "bytes 2-5/10").header("Content-Length", "4").body(equalTo("2345"));
        given().header("Range", "bytes=-3").get("/data/report.bin").then().statusCode(206).body(equalTo("789"));
        given().header("Range", "bytes=7-").get("/data/report.bin").then().statusCode(206).body(equalTo("789"));
        given().header("Range", "bytes=10-20").get("/data/report.bin").then().statusCode(416)
                .header("Content-Range", "bytes */10");
        given().header("Range", "bytes=2-5").header("If-Range", "\"stale\"").get("/data/report.bin")
                .then().statusCode(200).header("Accept-Ranges", "bytes");
    }

    /**
     * Several ranges: one {@code multipart/byteranges} answer, as from Caddy (Go's file server) and nginx (the whole
     * file before); ranges that overlap into more than the file get it whole (a request made to tie the server up).
     */
    @Test
    void servesSeveralRangesAsOneMultipartAnswer() throws Exception {
        assertMultipart(given().header("Range", "bytes=0-1, 4-5,-2").get("/data/report.bin"), "application/octet-stream", 10,
                new String[] {"0-1", "4-5", "8-9"}, new String[] {"01", "45", "89"});
        // ranges past the end are dropped: one left is a plain 206
        given().header("Range", "bytes=3-4,50-60").get("/data/report.bin").then().statusCode(206)
                .header("Content-Range", "bytes 3-4/10").body(equalTo("34"));
        given().header("Range", "bytes=0-9,0-9").get("/data/report.bin").then().statusCode(200).body(equalTo("0123456789"));
        given().header("Range", "bytes=0-1,x").get("/data/report.bin").then().statusCode(200);
        io.restassured.response.Response head = given().header("Range", "bytes=0-1,4-5").head("/data/report.bin");
        head.then().statusCode(206).contentType(startsWith("multipart/byteranges; boundary="));
        assertEquals(given().header("Range", "bytes=0-1,4-5").get("/data/report.bin").header("Content-Length"),
                head.header("Content-Length"), "the length the GET has");

        // a file too large to be held in memory is streamed range by range from the disk
        byte[] big = new byte[3 * 1024 * 1024];
        new java.util.Random(5).nextBytes(big);
        release.file("r1", "data/big.bin", big);
        int mib = 1024 * 1024;
        assertMultipart(given().header("Range", "bytes=10-19," + mib + "-" + (2 * mib + 5) + ",-7").get("/data/big.bin"),
                "application/octet-stream", big.length, new String[] {"10-19", mib + "-" + (2 * mib + 5), (big.length - 7) + "-" + (big.length - 1)},
                new String[] {latin1(big, 10, 10), latin1(big, mib, mib + 6), latin1(big, big.length - 7, 7)});
    }

    private static String latin1(byte[] bytes, int offset, int length) {
        return new String(bytes, offset, length, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static void assertMultipart(io.restassured.response.Response answer, String type, long size, String[] ranges, String[] parts) {
        MultipartAnswers.assertMultipart(answer, type, size, ranges, parts);
    }

    @Test
    void servesPrecompressedSidecarsToClientsThatAcceptThem() {
        RestAssuredConfig raw = RestAssuredConfig.config().decoderConfig(DecoderConfig.decoderConfig().noContentDecoders());
        given().config(raw).header("Accept-Encoding", "br;q=1, gzip;q=0.8").get("/assets/app.3f9a2c1b.js").then()
                .statusCode(200)
                .header("Content-Encoding", "gzip")
                .header("Vary", "Accept-Encoding")
                .header("ETag", matchesPattern("\"[0-9a-f]+-[0-9a-f]+-gzip\""))
                .contentType("text/javascript; charset=utf-8")
                .header("Cache-Control", "public, max-age=31536000, immutable");
        given().config(raw).header("Accept-Encoding", "gzip;q=0, identity").get("/assets/app.3f9a2c1b.js").then()
                .statusCode(200)
                .header("Content-Encoding", nullValue())
                .header("Vary", "Accept-Encoding")
                .body(containsString("console.log"));
    }

    @Test
    void compressesWithTheBestCodingTheClientAcceptsAndSkipsWhatShouldNotBe() {
        RestAssuredConfig raw = RestAssuredConfig.config().decoderConfig(DecoderConfig.decoderConfig().noContentDecoders());
        for (String coding : new String[] {"gzip", "br", "zstd"}) {
            Response response = given().config(raw).header("Accept-Encoding", coding).get("/blog/long/");
            assertEquals(200, response.statusCode());
            assertEquals(coding, response.header("Content-Encoding"));
            assertEquals("Accept-Encoding", response.header("Vary"));
            assertTrue(response.header("ETag").startsWith("W/\""), "compressed variants get weak ETags");
            assertTrue(response.asByteArray().length < 2000, coding + " made it smaller");
        }
        given().config(raw).header("Accept-Encoding", "gzip;q=0.5, br;q=0.9, zstd;q=0").get("/blog/long/")
                .then().header("Content-Encoding", "br");
        given().config(raw).header("Accept-Encoding", "gzip").get("/about").then()
                .header("Content-Encoding", nullValue()).body(equalTo("<h1>About</h1>"));
        given().config(raw).header("Accept-Encoding", "gzip").get("/images/photo.png").then()
                .header("Content-Encoding", nullValue()).header("Content-Length", "4096");
        given().config(raw).header("Accept-Encoding", "gzip").header("Range", "bytes=0-99").get("/blog/long/").then()
                .statusCode(206).header("Content-Encoding", nullValue()).header("Content-Length", "100");
        String weak = given().config(raw).header("Accept-Encoding", "gzip").get("/blog/long/").header("ETag");
        given().config(raw).header("Accept-Encoding", "gzip").header("If-None-Match", weak).get("/blog/long/")
                .then().statusCode(304).header("ETag", weak);
    }


    @Test
    void answersLeftUncompressedNameNoContentCoding() throws Exception {
        // "identity" is no content coding (RFC 9110, 8.4.1): the marker that keeps the compressor off must never reach a
        // client, which it did where Netty's compressor never looks (HTTP/1.0, HEAD) and over HTTP/2.
        for (String request : new String[] {
            "GET /about HTTP/1.0\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n",
            "GET /images/photo.png HTTP/1.0\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n",
            "HEAD /about HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
            "HEAD /images/photo.png HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
            "GET /images/photo.png HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"}) {
            RawHttp.Answer answer = RawHttp.send(url.getPort(), request);
            assertEquals(200, answer.status(), request);
            assertNull(answer.header("Content-Encoding"), request + " → " + answer.head());
        }
        java.net.http.HttpClient h2c = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_2)
                .build();
        java.net.http.HttpResponse<String> answer = null;
        for (String path : new String[] {"/about", "/images/photo.png", "/about", "/images/photo.png"}) {
            answer = h2c.send(java.net.http.HttpRequest.newBuilder(url.toURI().resolve(path)).header("Accept-Encoding", "gzip")
                    .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode());
            assertEquals(java.util.Optional.empty(), answer.headers().firstValue("Content-Encoding"),
                    answer.version() + " " + path);
        }
        assertEquals(java.net.http.HttpClient.Version.HTTP_2, answer.version(), "the connection was upgraded (h2c)");
    }

    @Test
    void overHttp2AnAnswerEncodedAlreadyIsSentAsItIsAndOthersAreCompressedOnce() throws Exception {
        // Netty's HTTP/2 compressor takes a Content-Encoding for the coding to apply: a precompressed sidecar went out
        // gzipped twice, a body no browser could read.
        java.net.http.HttpClient h2c = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_2)
                .build();
        h2c.send(java.net.http.HttpRequest.newBuilder(url.toURI().resolve("/about")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()); // the h2c upgrade
        String script = "console.log('app');\n".repeat(50);
        for (int i = 0; i < 2; i++) {
            java.net.http.HttpResponse<byte[]> sidecar = h2c.send(java.net.http.HttpRequest.newBuilder(
                    url.toURI().resolve("/assets/app.3f9a2c1b.js")).header("Accept-Encoding", "gzip").build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(java.net.http.HttpClient.Version.HTTP_2, sidecar.version());
            assertEquals(200, sidecar.statusCode());
            assertEquals("gzip", sidecar.headers().firstValue("Content-Encoding").orElse(null));
            assertEquals(java.util.Optional.empty(), sidecar.headers().firstValue("x-edgestack-as-is"), "the marker is never sent");
            assertEquals(script, gunzip(sidecar.body()), "the sidecar, decoded once");
            String etag = sidecar.headers().firstValue("ETag").orElseThrow();
            java.net.http.HttpResponse<byte[]> unchanged = h2c.send(java.net.http.HttpRequest.newBuilder(
                    url.toURI().resolve("/assets/app.3f9a2c1b.js")).header("Accept-Encoding", "gzip")
                    .header("If-None-Match", etag).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(304, unchanged.statusCode());
            java.net.http.HttpResponse<byte[]> compressed = h2c.send(java.net.http.HttpRequest.newBuilder(
                    url.toURI().resolve("/blog/long/")).header("Accept-Encoding", "gzip").build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertEquals("gzip", compressed.headers().firstValue("Content-Encoding").orElse(null));
            assertTrue(gunzip(compressed.body()).contains("<"), "compressed once by the server");
            String weak = compressed.headers().firstValue("ETag").orElseThrow();
            java.net.http.HttpResponse<byte[]> notModified = h2c.send(java.net.http.HttpRequest.newBuilder(
                    url.toURI().resolve("/blog/long/")).header("Accept-Encoding", "gzip").header("If-None-Match", weak).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(304, notModified.statusCode());
            // a file read from disk is compressed on its way out, one kept in memory has its gzip copy: either way
            // the 304 names no other coding than the answer's
            assertTrue(notModified.headers().firstValue("Content-Encoding").orElse("gzip").equals("gzip"),
                    notModified.headers().map().toString());
            // a 304 of an answer sent as it is: Vert.x named the negotiated coding on it, which a cache could take
            // for the stored answer's
            java.net.http.HttpResponse<byte[]> photo = h2c.send(java.net.http.HttpRequest.newBuilder(
                    url.toURI().resolve("/images/photo.png")).header("Accept-Encoding", "gzip").build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(java.util.Optional.empty(), photo.headers().firstValue("Content-Encoding"));
            assertEquals(4096, photo.body().length);
            java.net.http.HttpResponse<byte[]> photoUnchanged = h2c.send(java.net.http.HttpRequest.newBuilder(
                    url.toURI().resolve("/images/photo.png")).header("Accept-Encoding", "gzip")
                    .header("If-None-Match", photo.headers().firstValue("ETag").orElseThrow()).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(304, photoUnchanged.statusCode());
            assertEquals(java.util.Optional.empty(), photoUnchanged.headers().firstValue("Content-Encoding"));
        }
    }

    private static String gunzip(byte[] body) throws java.io.IOException {
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
    @Test
    void refusesPathTraversalInEveryEncoding() {
        int port = url.getPort();
        for (String attempt : new String[] {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%252e%252e/etc/passwd",
                "/assets/..%2f..%2fetc/passwd", "/assets/..%5c..%5cetc/passwd", "/./index.html", "/a%00.html"}) {
            RawHttp.Answer answer = RawHttp.get(port, attempt);
            assertEquals(400, answer.status(), attempt + " → " + answer.head());
            assertTrue(answer.body().contains("Refused path"), attempt);
        }
        assertEquals(400, RawHttp.get(port, "/%zz").status(), "a malformed escape");
        given().get("/leak.txt").then().statusCode(404).body(not(containsString("outside")));
        given().get("/.git/config").then().statusCode(404).body(not(containsString("secret")));
    }

    @Test
    void answersUnknownPathsWithTheSitesOwn404Page() {
        given().get("/no/such/page").then().statusCode(404).contentType("text/html; charset=utf-8")
                .header("Cache-Control", "no-store")
                .body(equalTo("<h1>Our own not found page</h1>"));
        given().accept("application/json").get("/no/such/page").then().statusCode(404)
                .contentType("application/problem+json").body("status", equalTo(404));
    }

    @Test
    void followsAReleaseSwitchWithoutRestart() {
        release.file("r2", "index.html", "<h1>Second release</h1>");
        release.activate("r2");
        given().get("/").then().statusCode(200).body(equalTo("<h1>Second release</h1>"));
        release.activate("r1");
        given().get("/").then().statusCode(200).body(equalTo(INDEX));
    }

    @Test
    void followsTheRedirectsFileOfTheLiveReleaseAndNeverServesIt() {
        release.file("r2", "index.html", "<h1>Second release</h1>");
        release.file("r2", "about.html", "<h1>About, still here</h1>");
        release.file("r2", "_redirects", """
                # Netlify / Cloudflare Pages format
                /old-about      /about                 301
                /blog/2023/*    /archive/:splat        302
                /feed           https://feeds.example.test/site.xml  308!
                /posts/:year/:slug    /blog/:slug?from=:year
                /about          /over-there
                /search q=:q    /find/:q               301
                /index.php page=about   /about-us      301
                /index.php page=:page   /pages/:page   302
                /index.php      /                      301
                /elsewhere/*    https://other.example.test/:splat  200
                /search         /find                  302 Country=fr
                /blog/2023/x    /never                 301
                """);
        release.activate("r2");
        RawHttp.Answer about = RawHttp.get(url.getPort(), "/old-about?ref=a");
        assertEquals(301, about.status(), about.head());
        assertEquals("/about?ref=a", about.header("Location"));
        RawHttp.Answer archived = RawHttp.get(url.getPort(), "/blog/2023/hello/");
        assertEquals(302, archived.status(), archived.head());
        assertEquals("/archive/hello/", archived.header("Location"));
        assertEquals("no-cache", archived.header("Cache-Control"), "a temporary redirect is not kept");
        assertEquals("/archive/x", RawHttp.get(url.getPort(), "/blog/2023/x").header("Location"), "the first rule that matches wins");
        assertEquals("https://feeds.example.test/site.xml", RawHttp.get(url.getPort(), "/feed").header("Location"));
        // placeholders: one segment each, filled in (encoded) wherever they are in the target; a trailing slash is optional
        assertEquals("/blog/hello%20world?from=2024", RawHttp.get(url.getPort(), "/posts/2024/hello%20world").header("Location"));
        assertEquals("/blog/b?from=2024", RawHttp.get(url.getPort(), "/posts/2024/b/").header("Location"));
        assertEquals(404, RawHttp.get(url.getPort(), "/posts/2024/b/c").status(), "a placeholder is one segment");
        // a redirect applies whether or not a file is there (as Cloudflare Pages' and Netlify's forced ones)
        assertEquals("/over-there", RawHttp.get(url.getPort(), "/about").header("Location"));
        // query conditions (legacy addresses): the parameter's value written or taken, the rules' order kept, the
        // visitor's query not carried over by such a rule
        RawHttp.Answer search = RawHttp.get(url.getPort(), "/search?utm_source=x&q=green%20tea");
        assertEquals(301, search.status(), search.head());
        assertEquals("/find/green%20tea", search.header("Location"));
        assertEquals("/about-us", RawHttp.get(url.getPort(), "/index.php?page=about").header("Location"));
        RawHttp.Answer page = RawHttp.get(url.getPort(), "/index.php?page=contact");
        assertEquals(302, page.status(), page.head());
        assertEquals("/pages/contact", page.header("Location"));
        assertEquals("/?lang=fr", RawHttp.get(url.getPort(), "/index.php?lang=fr").header("Location"), "no page: the plain rule");
        // lines this server does not do are skipped: a country condition; a proxy rule to an origin the site does
        // not list (rewrite-origins) is a 502, never fetched
        given().get("/search").then().statusCode(404);
        given().get("/elsewhere/page").then().statusCode(502);
        given().get("/_redirects").then().statusCode(404).body(not(containsString("old-about")));
        // edited in place: read again, as any file of the release
        release.file("r2", "_redirects", "/old-about  /about-us  302\n");
        assertEquals("/about-us", RawHttp.get(url.getPort(), "/old-about").header("Location"));
        assertEquals(404, RawHttp.get(url.getPort(), "/feed").status());
        // the next release has no such file: its redirects are gone with it
        release.activate("r1");
        given().redirects().follow(false).get("/old-about").then().statusCode(404);
    }

    /**
     * Netlify's language conditions in {@code _redirects}: a rule with {@code Language=fr} applies to visitors whose
     * Accept-Language asks for French ({@code fr-CH} too, never with q=0); every answer at such a path, the rule's or
     * not, says {@code Vary: Accept-Language}; conditions this server cannot judge (country) skip their line only.
     */
    @Test
    void languageConditionsOfTheRedirectsFileFollowTheVisitorsAcceptLanguage() throws Exception {
        release.file("r2", "index.html", INDEX);
        release.file("r2", "about.html", "<h1>About</h1>");
        release.file("r2", "help/index.html", "<h1>Help</h1>");
        release.file("r2", "help/fr/index.html", "<h1>Aide</h1>");
        release.file("r2", "_redirects", """
                /          /fr/          302  Language=fr
                /          /de/          302  Language=de,de-at
                /          /us/          302  Country=us
                /help/     /help/fr/     200! Language=fr
                """);
        release.activate("r2");
        for (int round = 0; round < 2; round++) { // the release's rules read on a worker, then from memory
            Response french = given().redirects().follow(false).header("Accept-Language", "fr-CH, fr;q=0.9, en;q=0.8")
                    .get("/").then().statusCode(302).header("Location", "/fr/").extract().response();
            assertTrue(french.header("Vary").contains("Accept-Language"), french.headers().toString());
            given().redirects().follow(false).header("Accept-Language", "de-AT").get("/").then().statusCode(302)
                    .header("Location", "/de/");
            Response english = given().redirects().follow(false).header("Accept-Language", "en-US,en;q=0.9").get("/").then()
                    .statusCode(200).body(equalTo(INDEX)).extract().response();
            assertTrue(english.header("Vary") != null && english.header("Vary").contains("Accept-Language"),
                    "the page itself varies by language: " + english.headers());
            given().redirects().follow(false).header("Accept-Language", "fr;q=0, en").get("/").then().statusCode(200);
            given().redirects().follow(false).get("/").then().statusCode(200).body(equalTo(INDEX));
            given().header("Accept-Language", "fr").get("/help/").then().statusCode(200).body(equalTo("<h1>Aide</h1>"))
                    .header("Vary", containsString("Accept-Language"));
            given().header("Accept-Language", "en").get("/help/").then().statusCode(200).body(equalTo("<h1>Help</h1>"));
            Response about = given().header("Accept-Language", "fr").get("/about").then().statusCode(200).extract().response();
            assertTrue(about.header("Vary") == null || !about.header("Vary").contains("Accept-Language"), about.headers().toString());
        }
    }

    @Test
    void rewritesOfTheRedirectsFileServeAnotherFileUnderTheSameAddress() throws Exception {
        release.file("r2", "index.html", "<h1>Second release</h1>");
        release.file("r2", "app/index.html", "<div id=app>single-page app</div>");
        release.file("r2", "app/main.js", "start();");
        release.file("r2", "app/settings.html", "<h1>Settings, a page of its own</h1>");
        release.file("r2", "docs/index.html", "<h1>Docs</h1>");
        release.file("r2", "docs/404.html", "<h1>No such page in the docs</h1>");
        release.file("r2", "shop/v2.html", "<h1>Shop, second version</h1>");
        release.file("r2", "shop.html", "<h1>Shop, first version</h1>");
        release.file("r2", "products/item.html", "<h1>Item page for every product</h1>");
        release.file("r2", "404.html", "<h1>Site not found page</h1>");
        release.file("r2", "_redirects", """
                /app/*            /app/                   200
                /docs/*           /docs/404.html          404
                /shop             /shop/v2.html           200!
                /products/:id     /products/item.html     200
                /lost/*           /nowhere.html           200
                /escape/*         /../../../outside-secret.txt  200
                /hidden           /.git/config            200
                /retired.html     /404.html               404!
                /old-shop/*       /gone.html              410
                /withdrawn        /legal.html             451!
                /vanished/*       /no-such-page.html      410
                """);
        release.file("r2", "gone.html", "<h1>This shop closed in 2024</h1>");
        release.file("r2", "legal.html", "<h1>Withdrawn at a court's request</h1>");
        release.file("r2", "withdrawn.html", "<h1>The withdrawn article</h1>");
        release.file("r2", "retired.html", "<h1>An old page, still in the build</h1>");
        release.file("r2", ".git/config", "secret");
        release.activate("r2");
        // a single-page app: its routes get its index.html under their own address; its files are served as they are
        given().get("/app/users/42").then().statusCode(200).body(equalTo("<div id=app>single-page app</div>"))
                .header("Cache-Control", "public, max-age=0, must-revalidate");
        given().get("/app/main.js").then().statusCode(200).body(equalTo("start();"));
        given().get("/app/settings").then().statusCode(200).body(equalTo("<h1>Settings, a page of its own</h1>"));
        Response spa = given().get("/app/users/7").then().statusCode(200).extract().response();
        given().header("If-None-Match", spa.header("ETag")).get("/app/anything").then().statusCode(304);
        given().header("Range", "bytes=0-4").get("/app/users/1").then().statusCode(206).body(equalTo("<div "));
        given().head("/app/users/9").then().statusCode(200).header("Content-Length", "33");
        // a section's own not-found page, with status 404, where no file answers
        given().get("/docs/missing").then().statusCode(404).body(containsString("No such page in the docs"));
        given().get("/docs/").then().statusCode(200).body(equalTo("<h1>Docs</h1>"));
        // forced: applies although /shop.html would answer /shop
        given().get("/shop").then().statusCode(200).body(equalTo("<h1>Shop, second version</h1>"));
        given().get("/shop").then().statusCode(200).body(equalTo("<h1>Shop, second version</h1>")); // from memory too
        given().get("/products/kettle").then().statusCode(200).body(equalTo("<h1>Item page for every product</h1>"));
        // gone for good (410) and withheld (451): the release's page with that status, or the built-in one
        given().get("/old-shop/kettles").then().statusCode(410).body(containsString("This shop closed in 2024"));
        given().get("/withdrawn").then().statusCode(451).body(containsString("Withdrawn at a court's request"));
        given().get("/vanished/x").then().statusCode(410).body(containsString("gone for good"));
        given().accept("application/json").get("/vanished/x").then().statusCode(410).contentType("application/problem+json");
        // a forced 404 over a file that exists: every time
        for (int i = 0; i < 3; i++) {
            given().get("/retired.html").then().statusCode(404).body(containsString("Site not found page"));
        }
        // and over a file served from memory until the rule came (the file's copy is never the answer again)
        release.file("r2", "kept.html", "<h1>Kept page</h1>");
        for (int i = 0; i < 3; i++) {
            given().get("/kept.html").then().statusCode(200).body(equalTo("<h1>Kept page</h1>"));
        }
        release.file("r2", "_redirects", java.nio.file.Files.readString(release.dir("r2").resolve("_redirects"))
                + "/kept.html /404.html 404!\n");
        long until = System.nanoTime() + 5_000_000_000L;
        while (given().get("/kept.html").statusCode() != 404 && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        for (int i = 0; i < 5; i++) {
            given().get("/kept.html").then().statusCode(404);
        }
        // a rewrite to nothing, out of the release or to a hidden file is the site's 404
        given().get("/lost/x").then().statusCode(404).body(containsString("Site not found page"));
        given().get("/escape/x").then().statusCode(404).body(not(containsString("outside")));
        given().get("/hidden").then().statusCode(404).body(not(containsString("secret")));
        // the rewritten file edited in place: served anew under every address that leads to it
        release.file("r2", "app/index.html", "<div id=app>single-page app, version 2</div>");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!given().get("/app/users/42").asString().contains("version 2") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        given().get("/app/users/42").then().statusCode(200).body(equalTo("<div id=app>single-page app, version 2</div>"));
        given().get("/app/").then().statusCode(200).body(equalTo("<div id=app>single-page app, version 2</div>"));
    }

    @Test
    void appliesTheHeadersFileOfTheLiveReleaseAndNeverServesIt() {
        release.file("r2", "index.html", "<h1>Second release</h1>");
        release.file("r2", "about.html", "<h1>About</h1>");
        release.file("r2", "assets/app.3f9a2c1b.js", "console.log('two');");
        release.file("r2", "blog/hello/index.html", "<h1>Hello</h1>");
        release.file("r2", "_headers", """
                # Netlify / Cloudflare Pages format
                /assets/*
                  Cache-Control: public, max-age=31536000, immutable
                  X-Asset: yes
                /*
                  X-Frame-Options: DENY
                  X-Site: all
                /about
                  ! X-Site
                  X-Robots-Tag: noindex
                  Content-Length: 5
                /blog/:slug/
                  X-Blog: post
                  Link: </style.css>; rel=preload
                  X-Blog: second
                no path here
                """);
        release.activate("r2");
        Response asset = given().get("/assets/app.3f9a2c1b.js").then().statusCode(200).extract().response();
        assertEquals("public, max-age=31536000, immutable", asset.header("Cache-Control"));
        assertEquals("yes", asset.header("X-Asset"));
        assertEquals("DENY", asset.header("X-Frame-Options"), "the release's own wins over the site's default");
        assertEquals("all", asset.header("X-Site"));
        Response about = given().get("/about").then().statusCode(200).extract().response();
        assertNull(about.header("X-Site"), "removed by a later block");
        assertEquals("noindex", about.header("X-Robots-Tag"));
        assertEquals("<h1>About</h1>", about.asString(), "a framing header from the file is not taken");
        Response post = given().get("/blog/hello/").then().statusCode(200).extract().response();
        assertEquals("post, second", post.header("X-Blog"));
        assertEquals("</style.css>; rel=preload", post.header("Link"));
        assertNull(given().get("/").then().statusCode(200).extract().header("X-Blog"));
        given().header("If-None-Match", asset.header("ETag")).get("/assets/app.3f9a2c1b.js").then().statusCode(304)
                .header("Cache-Control", "public, max-age=31536000, immutable");
        given().get("/_headers").then().statusCode(404).body(not(containsString("X-Asset")));
        release.activate("r1");
        assertNull(given().get("/about").then().statusCode(200).extract().header("X-Robots-Tag"), "gone with its release");
    }

    @Test
    void answers503UntilASiteHasARelease() {
        release.clear();
        given().get("/").then().statusCode(503).body(containsString("no live release yet"));
    }

    @Test
    void addsSecurityHeadersAndARequestIdToEveryAnswer() {
        for (String path : new String[] {"/", "/missing"}) {
            Response response = given().get(path);
            assertEquals("nosniff", response.header("X-Content-Type-Options"));
            assertEquals("SAMEORIGIN", response.header("X-Frame-Options"));
            assertEquals("strict-origin-when-cross-origin", response.header("Referrer-Policy"));
            assertTrue(response.header("Permissions-Policy").contains("camera=()"));
            assertNull(response.header("Server"));
            assertNull(response.header("Strict-Transport-Security"), "HSTS only over TLS");
            assertTrue(response.header("X-Request-Id").matches("[0-9a-f]{32}"));
            assertTrue(response.header("Date").endsWith("GMT"));
        }
        given().header("X-Request-Id", "from-the-connector-42").get("/").then()
                .header("X-Request-Id", "from-the-connector-42");
    }

    @Test
    void refusesOtherMethodsAndBadHosts() {
        given().post("/").then().statusCode(405).header("Allow", "GET, HEAD");
        given().head("/").then().statusCode(200).header("Content-Length", String.valueOf(INDEX.length()));
        RawHttp.Answer badHost = RawHttp.send(url.getPort(), "GET / HTTP/1.1\r\nHost: bad host!\r\nConnection: close\r\n\r\n");
        assertEquals(400, badHost.status(), badHost.head());
        RawHttp.Answer noHost = RawHttp.send(url.getPort(), "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
        assertEquals(400, noHost.status(), noHost.head());
        assertTrue(noHost.body().contains("Host header is required"), noHost.body());
        // The client asks to keep the connection; the answer says Connection: close, and the server closes it then
        // (RFC 9112 §9.6), so nothing more is read from a client that sent a malformed or ambiguous Host.
        for (String host : List.of("Host: bad host!\r\n", "Host: localhost\r\nHost: other.example\r\n")) {
            RawHttp.Answer answer = RawHttp.send(url.getPort(), "GET / HTTP/1.1\r\n" + host + "\r\n");
            assertEquals(400, answer.status(), answer.head());
            assertEquals("close", answer.header("Connection"), answer.head());
            assertTrue(answer.closed(), "the connection was closed after: " + answer.head());
        }
    }

    private static byte[] gzip(String text) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes());
        }
        return bytes.toByteArray();
    }
}
