package io.edgestack.proxy.cache;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.edgestack.proxy.cache.ScriptedOrigin.Reply;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;

/** The edge cache against a scripted origin: what reaches the origin, and what the visitor gets. */
@QuarkusTest
@TestProfile(CacheTest.CacheProfile.class)
@QuarkusTestResource(value = ScriptedOrigin.class, restrictToAnnotatedClass = true)
class CacheTest {

    static final String TOKEN = "purge-token-for-tests";

    public static class CacheProfile implements QuarkusTestProfile {
    }

    @TestHTTPResource("/")
    URL url;

    @TestHTTPResource(value = "", management = true)
    URL management;

    @jakarta.inject.Inject
    io.vertx.core.Vertx vertx;

    @Test
    void storesAFreshResponseAndAnswersTheNextRequestFromIt() {
        ScriptedOrigin.script("/fresh", r -> Reply.ok("fresh body", "Cache-Control", "max-age=60", "ETag", "\"v1\""));
        given().get("/fresh").then().statusCode(200).body(equalTo("fresh body")).header("X-Cache", "MISS")
                .header("Cache-Status", "edgestack; fwd=uri-miss; fwd-status=200; stored");
        Response hit = given().get("/fresh");
        hit.then().statusCode(200).body(equalTo("fresh body")).header("X-Cache", "HIT")
                .header("Cache-Status", startsWith("edgestack; hit; ttl=")).header("ETag", "\"v1\"");
        assertTrue(Integer.parseInt(hit.header("Age")) >= 0);
        assertEquals(1, ScriptedOrigin.hits("/fresh"), "the second request never reached the origin");
        given().header("If-None-Match", "\"v1\"").get("/fresh").then().statusCode(304).header("X-Cache", "HIT");
        given().head("/fresh").then().statusCode(200).header("Content-Length", "10");
        assertEquals(1, ScriptedOrigin.hits("/fresh"));
    }

    @Test
    void answersRangeRequestsFromAStoredAnswer() {
        String lastModified = "Tue, 01 Dec 2026 10:00:00 GMT";
        ScriptedOrigin.script("/ranged", r -> Reply.ok("0123456789abcdef", "Cache-Control", "max-age=60", "ETag", "\"r1\"",
                "Last-Modified", lastModified));
        given().get("/ranged").then().statusCode(200).header("X-Cache", "MISS");
        given().header("Range", "bytes=2-5").get("/ranged").then().statusCode(206).body(equalTo("2345"))
                .header("Content-Range", "bytes 2-5/16").header("Content-Length", "4").header("X-Cache", "HIT")
                .header("ETag", "\"r1\"");
        given().header("Range", "bytes=-3").get("/ranged").then().statusCode(206).body(equalTo("def"))
                .header("Content-Range", "bytes 13-15/16");
        given().header("Range", "bytes=10-").get("/ranged").then().statusCode(206).body(equalTo("abcdef"));
        given().header("Range", "bytes=16-").get("/ranged").then().statusCode(416).header("Content-Range", "bytes */16");
        // If-Range that still matches (the entity tag, or the date) → the part; one that does not → the whole answer
        given().header("Range", "bytes=0-0").header("If-Range", "\"r1\"").get("/ranged").then().statusCode(206).body(equalTo("0"));
        given().header("Range", "bytes=0-0").header("If-Range", lastModified).get("/ranged").then().statusCode(206);
        given().header("Range", "bytes=0-0").header("If-Range", "\"old\"").get("/ranged").then().statusCode(200)
                .body(equalTo("0123456789abcdef"));
        io.edgestack.proxy.files.MultipartAnswers.assertMultipart(given().header("Range", "bytes=0-1,4-5").get("/ranged"),
                null, 16, new String[] {"0-1", "4-5"}, new String[] {"01", "45"});
        given().header("Range", "bytes=0-15,2-3").get("/ranged").then().statusCode(200).body(equalTo("0123456789abcdef"));
        // preconditions on a hit: If-Match compared strongly, If-Unmodified-Since with the stored Last-Modified
        given().header("If-Match", "\"r0\"").get("/ranged").then().statusCode(412).header("X-Cache", "HIT").body(equalTo(""));
        given().header("If-Match", "\"r1\"").header("Range", "bytes=0-1").get("/ranged").then().statusCode(206).body(equalTo("01"));
        given().header("If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT").get("/ranged").then().statusCode(412);
        given().header("If-Unmodified-Since", lastModified).get("/ranged").then().statusCode(200);
        given().header("Range", "bytes=0-1").header("Accept-Encoding", "gzip").get("/ranged").then().statusCode(206)
                .header("Content-Encoding", nullValue()).body(equalTo("01"));
        assertEquals(1, ScriptedOrigin.hits("/ranged"), "every range came from the stored answer");
        // and a range asked on a miss is the origin's to answer: its 206 is passed on, never stored as the whole
        ScriptedOrigin.script("/ranged-miss", r -> r.getHeader("Range") != null
                ? Reply.ok("23", "X-Status", "206", "Content-Range", "bytes 2-3/16", "Cache-Control", "max-age=60")
                : Reply.ok("0123456789abcdef", "Cache-Control", "max-age=60"));
        given().header("Range", "bytes=2-3").get("/ranged-miss").then().statusCode(206).body(equalTo("23"));
        given().get("/ranged-miss").then().statusCode(200).body(equalTo("0123456789abcdef"));
    }

    @Test
    void aHitCarriesTheStoredHeadersOnceEachAndNoPurgeTags() {
        String date = io.edgestack.proxy.http.HttpDate.format(System.currentTimeMillis() - 3_000);
        ScriptedOrigin.script("/headers", r -> Reply.ok("with headers", "Cache-Control", "max-age=60", "ETag", "\"h1\"",
                "Date", date, "Age", "2", "X-Origin", "one", "Cache-Tag", "t1", "Surrogate-Key", "k1", "Server", "origin/1.0"));
        given().get("/headers").then().statusCode(200).header("X-Cache", "MISS");
        Response hit = given().get("/headers");
        hit.then().statusCode(200).body(equalTo("with headers")).header("X-Cache", "HIT");
        for (String name : new String[] {"Date", "Age", "Content-Length", "Cache-Status", "X-Cache", "ETag", "X-Origin",
                "Cache-Control", "X-Request-Id", "X-Frame-Options", "X-Content-Type-Options"}) {
            assertEquals(1, hit.headers().getValues(name).size(), name + " once: " + hit.headers());
        }
        assertEquals(date, hit.header("Date"), "the stored Date, not the time of the hit");
        // RFC 9111 §4.2.3: the larger of the apparent age (3 s by the Date) and the origin's Age (2 s) plus the delay
        assertTrue(Integer.parseInt(hit.header("Age")) >= 3, "Age " + hit.header("Age"));
        assertEquals("12", hit.header("Content-Length"));
        for (String hidden : new String[] {"Cache-Tag", "Surrogate-Key", "Server"}) {
            assertTrue(hit.headers().getValues(hidden).isEmpty(), hidden + " is not sent: " + hit.headers());
        }
        given().head("/headers").then().statusCode(200).header("Content-Length", "12").header("X-Origin", "one");
        assertEquals(1, ScriptedOrigin.hits("/headers"));
    }

    /** RFC 9111 §3 and §4.2: what a shared cache may store and reuse. Each row: origin headers, the second answer. */
    @Test
    void storesOnlyWhatASharedCacheMay() {
        Object[][] rows = {
            {"max-age", new String[] {"Cache-Control", "max-age=60"}, "HIT"},
            {"s-maxage", new String[] {"Cache-Control", "s-maxage=60, max-age=0"}, "HIT"},
            {"expires", new String[] {"Expires", "Thu, 01 Jan 2099 00:00:00 GMT"}, "HIT"},
            {"aged", new String[] {"Cache-Control", "max-age=60", "Age", "59", "Date", io.edgestack.proxy.http.HttpDate.now()}, "HIT"},
            {"too-old", new String[] {"Cache-Control", "max-age=60", "Age", "61"}, "EXPIRED"},
            {"no-cache", new String[] {"Cache-Control", "no-cache, max-age=60", "ETag", "\"x\""}, "EXPIRED"},
            {"public-validator", new String[] {"Cache-Control", "public", "ETag", "\"x\""}, "EXPIRED"},
            {"no-store", new String[] {"Cache-Control", "no-store, max-age=60"}, "MISS"},
            {"private", new String[] {"Cache-Control", "private, max-age=60"}, "MISS"},
            {"set-cookie", new String[] {"Cache-Control", "max-age=60", "Set-Cookie", "id=1"}, "MISS"},
            {"vary-star", new String[] {"Cache-Control", "max-age=60", "Vary", "*"}, "MISS"},
            {"no-freshness", new String[] {}, "MISS"},
            {"expired-expires", new String[] {"Expires", "0"}, "MISS"},
            {"server-error", new String[] {"Cache-Control", "max-age=60", "X-Status", "500"}, "MISS"},
            {"not-found", new String[] {"Cache-Control", "max-age=60", "X-Status", "404"}, "HIT"},
        };
        for (Object[] row : rows) {
            String path = "/store/" + row[0];
            ScriptedOrigin.script(path, r -> Reply.ok("body of " + path, (String[]) row[1]));
            given().get(path);
            Response second = given().get(path);
            String expected = (String) row[2];
            assertEquals(expected.equals("HIT") ? 1 : 2, ScriptedOrigin.hits(path), row[0] + ": origin requests");
            assertEquals(expected, second.header("X-Cache"), (String) row[0]);
            assertEquals("body of " + path, second.asString());
        }
    }

    @Test
    void bypassesRequestsThatAreNotForEveryone() {
        ScriptedOrigin.script("/private-ish", r -> Reply.ok("x", "Cache-Control", "max-age=60"));
        given().get("/private-ish").then().header("X-Cache", "MISS");
        given().header("Authorization", "Bearer abc").get("/private-ish").then().header("X-Cache", "BYPASS")
                .header("Cache-Status", "edgestack; fwd=bypass; fwd-status=200; detail=authorization");
        given().cookie("session", "s1").get("/private-ish").then().header("X-Cache", "BYPASS");
        given().cookie("wordpress_logged_in_abc", "1").get("/private-ish").then().header("X-Cache", "BYPASS");
        given().cookie("theme", "dark").get("/private-ish").then().header("X-Cache", "HIT");
        given().body("x").post("/private-ish").then().header("X-Cache", "BYPASS");
        assertEquals(5, ScriptedOrigin.hits("/private-ish"), "the first miss and the four bypasses");
    }

    @Test
    void normalisesTheQueryInTheKey() {
        ScriptedOrigin.script("/q", r -> Reply.ok("q " + r.query(), "Cache-Control", "max-age=60"));
        given().get("/q?b=2&a=1&utm_source=mail&fbclid=zz").then().header("X-Cache", "MISS");
        given().get("/q?a=1&b=2").then().header("X-Cache", "HIT");
        given().get("/q?a=1&b=3").then().header("X-Cache", "MISS");
        assertEquals(2, ScriptedOrigin.hits("/q"));
    }

    @Test
    void keepsAVariantPerVaryingHeaderValue() {
        ScriptedOrigin.script("/vary", r -> Reply.ok("lang " + r.getHeader("X-Lang"), "Cache-Control", "max-age=60",
                "Vary", "X-Lang"));
        given().header("X-Lang", "fr").get("/vary").then().body(equalTo("lang fr")).header("X-Cache", "MISS");
        given().header("X-Lang", "en").get("/vary").then().body(equalTo("lang en"))
                .header("Cache-Status", startsWith("edgestack; fwd=vary-miss"));
        given().header("X-Lang", "fr").get("/vary").then().body(equalTo("lang fr")).header("X-Cache", "HIT");
        given().header("X-Lang", "en").get("/vary").then().body(equalTo("lang en")).header("X-Cache", "HIT");
        assertEquals(2, ScriptedOrigin.hits("/vary"));
    }

    @Test
    void revalidatesAnExpiredEntryWithItsValidators() throws Exception {
        AtomicInteger version = new AtomicInteger(1);
        ScriptedOrigin.script("/reval", r -> {
            String etag = "\"v" + version.get() + "\"";
            if (etag.equals(r.getHeader("If-None-Match"))) {
                return new Reply(304, java.util.Map.of("ETag", etag, "Cache-Control", "max-age=1"), "", 0);
            }
            return Reply.ok("version " + version.get(), "Cache-Control", "max-age=1", "ETag", etag);
        });
        given().get("/reval").then().body(equalTo("version 1")).header("X-Cache", "MISS");
        Thread.sleep(2100);
        given().get("/reval").then().body(equalTo("version 1")).header("X-Cache", "REVALIDATED")
                .header("Cache-Status", startsWith("edgestack; fwd=stale; fwd-status=304"));
        assertEquals("\"v1\"", ScriptedOrigin.last("/reval").headers().get("If-None-Match"));
        given().get("/reval").then().header("X-Cache", "HIT");
        version.set(2);
        Thread.sleep(2100);
        given().get("/reval").then().body(equalTo("version 2")).header("X-Cache", "EXPIRED");
        given().get("/reval").then().body(equalTo("version 2")).header("X-Cache", "HIT");
        assertEquals(3, ScriptedOrigin.hits("/reval"));
    }

    @Test
    void servesStaleWhileItRevalidatesInTheBackground() throws Exception {
        AtomicInteger version = new AtomicInteger(1);
        ScriptedOrigin.script("/swr", r -> Reply.ok("swr " + version.get(),
                "Cache-Control", "max-age=1, stale-while-revalidate=30"));
        given().get("/swr").then().body(equalTo("swr 1"));
        version.set(2);
        Thread.sleep(2100);
        given().get("/swr").then().body(equalTo("swr 1")).header("X-Cache", "STALE")
                .header("Cache-Status", containsString("detail=stale-while-revalidate"));
        awaitTrue(() -> "swr 2".equals(given().get("/swr").asString()), "the background refresh stored version 2");
        assertEquals(2, ScriptedOrigin.hits("/swr"), "one refresh, in the background");
    }

    @Test
    void servesStaleIfErrorButNotWhatMustBeRevalidated() throws Exception {
        AtomicBoolean failing = new AtomicBoolean();
        ScriptedOrigin.script("/sie", r -> failing.get() ? Reply.ok("down").status(500)
                : Reply.ok("sie ok", "Cache-Control", "max-age=1, stale-if-error=60"));
        ScriptedOrigin.script("/mr", r -> failing.get() ? Reply.ok("down").status(500)
                : Reply.ok("mr ok", "Cache-Control", "max-age=1, must-revalidate, stale-if-error=60"));
        given().get("/sie").then().body(equalTo("sie ok"));
        given().get("/mr").then().body(equalTo("mr ok"));
        failing.set(true);
        Thread.sleep(2100);
        given().get("/sie").then().statusCode(200).body(equalTo("sie ok")).header("X-Cache", "STALE")
                .header("Cache-Status", startsWith("edgestack; fwd=stale; fwd-status=500"));
        given().get("/mr").then().statusCode(500);
    }

    @Test
    void keepsTheSiteUpFromCacheWhileTheOriginIsDown() throws Exception {
        ScriptedOrigin.script("/always", r -> Reply.ok("still here", "Cache-Control", "max-age=1"));
        given().header("Host", "always.test").get("/always").then().body(equalTo("still here"));
        ScriptedOrigin.stopB();
        try {
            Thread.sleep(1100);
            given().header("Host", "always.test").get("/always").then().statusCode(200).body(equalTo("still here"))
                    .header("X-Cache", "STALE").header("Cache-Status", startsWith("edgestack; fwd=stale; fwd-status=502"));
            given().header("Host", "always.test").get("/never-cached").then().statusCode(502);
            String metrics = given().accept("text/plain").get(management + "metrics").asString();
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("edgestack_proxy_cache_requests_total{result=\"stale\"")
                    && !l.endsWith(" 0.0")), "serving stale shows in the metrics");
        } finally {
            ScriptedOrigin.startB();
        }
    }

    @Test
    void routesHttp2RequestsByTheirAuthority() throws Exception {
        ScriptedOrigin.script("/h2", r -> Reply.ok("h2", "Cache-Control", "no-store"));
        io.vertx.core.http.HttpClient h2 = ScriptedOrigin.vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            for (String[] hostAndOrigin : new String[][] {{"always.test", "B"}, {"other.test", "A"}}) {
                var response = h2.request(new io.vertx.core.http.RequestOptions()
                                .setServer(io.vertx.core.net.SocketAddress.inetSocketAddress(url.getPort(), "127.0.0.1"))
                                .setHost(hostAndOrigin[0]).setPort(80).setURI("/h2"))
                        .compose(request -> request.send())
                        .toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(io.vertx.core.http.HttpVersion.HTTP_2, response.version());
                assertEquals(hostAndOrigin[1], response.getHeader("X-Origin"),
                        "an HTTP/2 request for " + hostAndOrigin[0] + " (no Host header, only :authority) reaches its site");
            }
        } finally {
            h2.close();
        }
    }

    @Test
    void collapsesConcurrentMissesIntoOneOriginRequest() throws Exception {
        ScriptedOrigin.script("/slow", r -> Reply.ok("slow body", "Cache-Control", "max-age=60").delayed(400));
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            answers.add(client.sendAsync(HttpRequest.newBuilder(URI.create(url + "slow")).timeout(Duration.ofSeconds(20))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        }
        int collapsed = 0;
        for (var answer : answers) {
            HttpResponse<String> response = answer.get();
            assertEquals(200, response.statusCode());
            assertEquals("slow body", response.body());
            collapsed += response.headers().firstValue("Cache-Status").orElse("").contains("collapsed") ? 1 : 0;
        }
        assertEquals(1, ScriptedOrigin.hits("/slow"), "100 simultaneous misses, one origin request");
        assertTrue(collapsed > 0, "the waiting requests say they were collapsed");
    }

    @Test
    void streamsLargeObjectsWithoutStoringThem() {
        String big = "x".repeat(100 * 1024);
        ScriptedOrigin.script("/big", r -> Reply.ok(big, "Cache-Control", "max-age=60"));
        assertEquals(big.length(), given().get("/big").asString().length());
        given().get("/big").then().header("X-Cache", "MISS");
        assertEquals(2, ScriptedOrigin.hits("/big"));
    }

    @Test
    void purgesEverythingUrlsPrefixesAndTags() throws Exception {
        for (String path : new String[] {"/p/a", "/p/b", "/p/deep/c", "/other"}) {
            ScriptedOrigin.script(path, r -> Reply.ok(path, "Cache-Control", "max-age=60",
                    "Cache-Tag", path.startsWith("/p/") ? "section-p, all" : "all"));
        }
        warm("/p/a", "/p/b", "/p/deep/c", "/other");
        String host = url.getHost() + ":" + url.getPort(); // as the Host header the requests carried
        purge("{\"urls\": [\"http://" + host + "/p/a\"]}").then().statusCode(200).body("purged", equalTo(1));
        given().get("/p/a").then().header("X-Cache", "MISS");
        given().get("/p/b").then().header("X-Cache", "HIT");

        purge("{\"prefixes\": [\"" + host + "/p/deep/\"]}").then().statusCode(200).body("purged", equalTo(1));
        given().get("/p/deep/c").then().header("X-Cache", "MISS");

        purge("{\"tags\": [\"section-p\"]}").then().statusCode(200).body("purged", equalTo(3));
        given().get("/p/b").then().header("X-Cache", "MISS");
        given().get("/other").then().header("X-Cache", "HIT");

        CompletableFuture<io.vertx.core.json.JsonObject> event = new CompletableFuture<>();
        var consumer = vertx.eventBus().<io.vertx.core.json.JsonObject>consumer("cache.purged", m -> event.complete(m.body()));
        try {
            int purged = purge("{\"everything\": true}").then().statusCode(200).extract().path("purged");
            assertTrue(purged >= 2, "/p/b and /other at least: " + purged);
            var published = event.get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("everything", published.getString("kind"));
            assertEquals(purged, published.getInteger("removed"), "the event says what the answer said");
            assertEquals(1, published.getInteger("version"));
        } finally {
            consumer.unregister();
        }
        given().get("/other").then().header("X-Cache", "MISS");
    }

    @Test
    void appliesAPurgeMadeOnAnotherReplicaAndOnlyThat() throws Exception {
        for (String path : new String[] {"/r/a", "/r/b"}) {
            ScriptedOrigin.script(path, r -> Reply.ok(path, "Cache-Control", "max-age=60"));
        }
        warm("/r/a", "/r/b");
        String host = url.getHost() + ":" + url.getPort();
        // Its own event (as every purge it makes publishes) and unreadable ones change nothing.
        String self = io.quarkus.arc.Arc.container().instance(io.edgestack.cluster.SuiteCluster.class).get().processId();
        publishPurge(new io.vertx.core.json.JsonObject().put("version", 1).put("kind", "everything").put("replica", self));
        publishPurge(new io.vertx.core.json.JsonObject().put("kind", "urls").put("targets", "not a list").put("replica", "r2"));
        publishPurge(new io.vertx.core.json.JsonObject().put("kind", "urls")
                .put("targets", new io.vertx.core.json.JsonArray().add("http://not-served.example/r/a")).put("replica", "r2"));
        publishPurge(new io.vertx.core.json.JsonObject().put("kind", "drop-table").put("replica", "r2"));
        given().get("/r/a").then().header("X-Cache", "HIT");
        given().get("/r/b").then().header("X-Cache", "HIT");

        // Another replica's purge of one URL removes that URL here too, and nothing else.
        publishPurge(new io.vertx.core.json.JsonObject().put("version", 1).put("kind", "urls").put("removed", 1)
                .put("targets", new io.vertx.core.json.JsonArray().add("http://" + host + "/r/a")).put("replica", "r2")
                .put("unknownField", true));
        given().get("/r/a").then().header("X-Cache", "MISS");
        given().get("/r/b").then().header("X-Cache", "HIT");
    }

    /** Publishes and waits until the consumers ran (an event bus round trip after it on the same address). */
    private void publishPurge(io.vertx.core.json.JsonObject event) throws Exception {
        vertx.eventBus().publish("cache.purged", event);
        long counted = purgesApplied();
        Thread.sleep(300);
        for (int i = 0; i < 20 && purgesApplied() == counted; i++) {
            Thread.sleep(50);
        }
    }

    private static long purgesApplied() {
        return (long) io.quarkus.arc.Arc.container().instance(io.micrometer.core.instrument.MeterRegistry.class).get()
                .counter("edgestack.proxy.replica.purges").count();
    }

    /** A deploy script written for Cloudflare's purge API works with its URL changed: its field names are read. */
    @Test
    void takesCloudflaresPurgeFields() throws Exception {
        for (String path : new String[] {"/cf/a", "/cf/b", "/cf/c"}) {
            ScriptedOrigin.script(path, r -> Reply.ok(path, "Cache-Control", "max-age=60"));
        }
        warm("/cf/a", "/cf/b", "/cf/c");
        String host = url.getHost() + ":" + url.getPort();
        purge("{\"files\": [\"http://" + host + "/cf/a\", {\"url\": \"http://" + host + "/cf/b\", \"headers\": {}}]}")
                .then().statusCode(200).body("purged", equalTo(2)).body("kind", equalTo("urls"));
        given().get("/cf/a").then().header("X-Cache", "MISS");
        given().get("/cf/b").then().header("X-Cache", "MISS");
        given().get("/cf/c").then().header("X-Cache", "HIT");
        purge("{\"hosts\": [\"" + url.getHost() + ":1\"]}").then().statusCode(200).body("purged", equalTo(0));
        given().get("/cf/c").then().header("X-Cache", "HIT"); // another port's entries only
        // a host without a port: on any port (other tests' entries of this host go too)
        purge("{\"hosts\": [\"" + url.getHost() + "\"]}").then().statusCode(200).body("kind", equalTo("hosts"));
        given().get("/cf/c").then().header("X-Cache", "MISS");
        warm("/cf/a");
        // at Cloudflare's own path too (the zone id is not read), answering its "success"
        given().header("Authorization", "Bearer " + TOKEN).contentType("application/json").body("{\"purge_everything\": true}")
                .post(admin().replace("/admin/purge", "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache"))
                .then().statusCode(200).body("kind", equalTo("everything")).body("success", equalTo(true));
        given().get("/cf/a").then().header("X-Cache", "MISS");
        given().contentType("application/json").body("{\"purge_everything\": true}")
                .post(admin().replace("/admin/purge", "/client/v4/zones/z/purge_cache")).then().statusCode(401);
    }

    @Test
    void refusesBadPurgeRequestsWithTheReason() {
        // a field it does not know, and two kinds at once, are refused (the typo purged nothing and said only that)
        purge("{\"paths\": [\"/\"]}").then().statusCode(400)
                .body("detail", containsString("'paths' is not a field of a purge request: send one of"));
        purge("{\"tags\": [\"a\"], \"urls\": [\"http://localhost/\"]}").then().statusCode(400)
                .body("detail", containsString("One kind of purge per request, not tags and urls"));
        purge("{\"everything\": \"yes\"}").then().statusCode(400).body("detail", containsString("'everything' is true or false"));
        // as deploy-service's client sends a purge of URLs: its unset field as null
        purge("{\"everything\": null, \"urls\": [\"http://" + url.getHost() + ":" + url.getPort() + "/nothing-cached\"]}")
                .then().statusCode(200).body("kind", equalTo("urls"));
        purge("{}").then().statusCode(400).contentType("application/problem+json").body("detail", containsString("Nothing to purge"));
        purge("not json").then().statusCode(400).body("detail", containsString("JSON object"));
        purge("{\"urls\": [\"::not a url\"]}").then().statusCode(400).body("detail", containsString("not a URL"));
        purge("{\"urls\": [\"ftp://example.com/x\"]}").then().statusCode(400).body("detail", containsString("http://"));
        purge("{\"tags\": []}").then().statusCode(400).body("detail", containsString("non-empty list"));
        given().contentType("application/json").body("{\"everything\": true}").post(admin())
                .then().statusCode(401);
    }

    @Test
    void aPurgeUnderTrafficLeavesNoOldCopy() throws Exception {
        AtomicInteger version = new AtomicInteger(1);
        ScriptedOrigin.script("/busy", r -> Reply.ok("busy " + version.get(), "Cache-Control", "max-age=60").delayed(20));
        AtomicBoolean running = new AtomicBoolean(true);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<Thread> load = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Thread thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        client.send(HttpRequest.newBuilder(URI.create(url + "busy")).build(), HttpResponse.BodyHandlers.discarding());
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            thread.start();
            load.add(thread);
        }
        try {
            Thread.sleep(300);
            version.set(2);
            purge("{\"urls\": [\"" + url + "busy\"]}").then().statusCode(200);
            for (int i = 0; i < 20; i++) {
                assertEquals("busy 2", given().get("/busy").asString(), "no answer after the purge is the old version");
            }
        } finally {
            running.set(false);
            for (Thread thread : load) {
                thread.join(5000);
            }
        }
    }

    /** Admin routes live at the root of the management port (its /q/ prefix is for health and metrics). */
    private String admin() {
        return "http://127.0.0.1:" + management.getPort() + "/admin/purge";
    }

    private void warm(String... paths) {
        for (String path : paths) {
            given().get(path).then().statusCode(200);
            given().get(path).then().header("X-Cache", "HIT");
        }
    }

    private Response purge(String body) {
        return given().header("Authorization", "Bearer " + TOKEN).contentType("application/json").body(body)
                .post(admin());
    }

    private static void awaitTrue(java.util.function.Supplier<Boolean> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (condition.get()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("not within 5 s: " + what);
    }
}
