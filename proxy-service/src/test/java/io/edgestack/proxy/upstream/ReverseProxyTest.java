package io.edgestack.proxy.upstream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.Test;

import io.edgestack.proxy.http.RawHttp;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;

@QuarkusTest
@TestProfile(ReverseProxyTest.UpstreamProfile.class)
@QuarkusTestResource(value = FakeUpstreams.class, restrictToAnnotatedClass = true)
class ReverseProxyTest {

    public static class UpstreamProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.limits.max-body-size", "4M");
        }
    }

    @TestHTTPResource("/")
    URL url;

    @jakarta.inject.Inject
    io.vertx.core.Vertx vertx;

    @TestHTTPResource(value = "", management = true)
    URL management;

    @Test
    void socketsGoThroughNettysEpollTransport() {
        assertTrue(vertx.isNativeTransportEnabled(), "quarkus.vertx.prefer-native-transport with netty-transport-native-epoll: "
                + vertx.unavailableNativeTransportCause());
    }

    /**
     * Netlify's proxy rewrites: a {@code 200} rule of the release's {@code _redirects} to a URL proxies the request
     * there (any method, body streamed, query kept, the target's name as Host, the forwarding headers set), to an
     * origin the site's {@code rewrite-origins} lists; a file at the path wins unless the rule is forced; an origin
     * not listed is a 502.
     */
    @Test
    void aRedirectsFileMayProxyToAnOriginTheSiteAllows() throws Exception {
        io.edgestack.proxy.files.TestRelease release = new io.edgestack.proxy.files.TestRelease(
                java.nio.file.Path.of("target/test-releases"), "rewrites").clear();
        String origin = "http://127.0.0.1:" + FakeUpstreams.portA;
        release.file("r1", "index.html", "<h1>home</h1>");
        release.file("r1", "status.html", "<h1>a file of the release</h1>");
        release.file("r1", "_redirects", """
                /backend/*     %1$s/:splat        200
                /status.html   %1$s/echo          200
                /always        %1$s/echo?from=rule 200!
                /socket        %1$s/ws            200
                /elsewhere/*   https://not-listed.example.test/:splat  200
                """.formatted(origin));
        release.activate("r1");
        JsonPath seen = given().header("Host", "rewrites.test").get("/backend/echo?x=1&y=2").then().statusCode(200)
                .extract().jsonPath();
        assertEquals("a", seen.getString("upstream"));
        assertEquals("/echo?x=1&y=2", seen.getString("uri"), "the splat filled in, the visitor's query kept");
        assertEquals("127.0.0.1:" + FakeUpstreams.portA, seen.getString("headers.host"), "the target's own name");
        assertEquals("rewrites.test", seen.getString("headers.x-forwarded-host"));
        assertEquals("127.0.0.1", seen.getString("headers.x-forwarded-for"));
        // any method, the body streamed to the origin (files answer GET and HEAD only)
        byte[] body = new byte[300_000];
        given().header("Host", "rewrites.test").body(body).post("/backend/upload").then().statusCode(200)
                .body(org.hamcrest.Matchers.equalTo("300000"));
        // a method files do not answer goes by the rule even where a file is
        assertEquals("/echo", given().header("Host", "rewrites.test").delete("/status.html").then().statusCode(200)
                .extract().jsonPath().getString("uri"));
        // a file at the path wins over an unforced rule; a forced one proxies anyway, with its own query
        given().header("Host", "rewrites.test").get("/status.html").then().statusCode(200)
                .body(containsString("a file of the release"));
        assertEquals("/echo?from=rule", given().header("Host", "rewrites.test").get("/always?ignored=1").then()
                .statusCode(200).extract().jsonPath().getString("uri"));
        // a WebSocket through such a rule
        io.vertx.core.http.WebSocketClient client = vertx.createWebSocketClient();
        try {
            CompletableFuture<String> echoed = new CompletableFuture<>();
            io.vertx.core.http.WebSocket ws = vertxWebSocket(client, "/socket", "rewrites.test", opened -> opened.textMessageHandler(echoed::complete));
            ws.writeTextMessage("through a rewrite");
            assertEquals("through a rewrite", echoed.get(5, TimeUnit.SECONDS));
            ws.close();
        } finally {
            client.close();
        }
        // an origin the site does not list: never fetched
        given().header("Host", "rewrites.test").get("/elsewhere/page").then().statusCode(502)
                .body(containsString("does not allow"));
        given().header("Host", "rewrites.test").get("/").then().statusCode(200).body(containsString("home"));
    }

    @Test
    void aStaticRouteWithBrowseListsAFolderWithoutIndex() throws Exception {
        io.edgestack.proxy.files.TestRelease release = new io.edgestack.proxy.files.TestRelease(
                java.nio.file.Path.of("target/test-releases"), "files").clear();
        release.file("r1", "downloads/report 2024.pdf", "x".repeat(2048));
        release.file("r1", "downloads/<script>.txt", "tricky name");
        release.file("r1", "downloads/old/notes.txt", "n");
        release.file("r1", "downloads/.secret", "hidden");
        release.file("r1", "plain/a.txt", "a");
        release.file("r1", "_redirects", "/nothing /here 301\n");
        java.nio.file.Files.writeString(java.nio.file.Path.of("target/outside-listing.txt"), "outside");
        java.nio.file.Files.deleteIfExists(release.dir("r1").resolve("downloads/leak"));
        java.nio.file.Files.createSymbolicLink(release.dir("r1").resolve("downloads/leak"),
                java.nio.file.Path.of("target/outside-listing.txt").toAbsolutePath());
        release.activate("r1");
        String page = given().header("Host", "files.test").get("/downloads/").then().statusCode(200)
                .contentType("text/html; charset=utf-8").header("Cache-Control", "no-cache").extract().asString();
        assertTrue(page.contains("<title>Index of /downloads/</title>"), page);
        assertTrue(page.indexOf("href=\"old/\"") < page.indexOf("report%202024.pdf"), "folders first: " + page);
        assertTrue(page.contains("<a href=\"report%202024.pdf\">report 2024.pdf</a></td><td class=\"n\">2.0 KiB"), page);
        assertTrue(page.contains("&lt;script&gt;.txt") && !page.contains("<script>"), "names escaped: " + page);
        assertTrue(!page.contains(".secret") && !page.contains("leak"), "no hidden file, no link out of the release: " + page);
        given().header("Host", "files.test").redirects().follow(false).get("/downloads").then().statusCode(301)
                .header("Location", "/downloads/");
        JsonPath json = given().header("Host", "files.test").accept("application/json").get("/downloads/").then().statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of("old", "<script>.txt", "report 2024.pdf"), json.getList("entries.name"));
        assertEquals("/downloads/report%202024.pdf", json.getString("entries[2].url"));
        assertTrue(!given().header("Host", "files.test").get("/").asString().contains("_redirects"), "the release's own files are not listed");
        given().header("Host", "files.test").get("/downloads/report 2024.pdf").then().statusCode(200);
        given().header("Host", "files.test").get("/plain/").then().statusCode(404); // browse is the route's
        given().header("Host", "files.test").get("/nowhere/").then().statusCode(404);
    }

    @Test
    void aRouteMayAnswerByItself() {
        given().get("/ping").then().statusCode(200).contentType("text/plain; charset=utf-8").body(equalTo("pong\n"))
                .header("X-Request-Id", notNullValue());
        given().post("/ping").then().statusCode(200).body(equalTo("pong\n"));
        given().head("/ping").then().statusCode(200).header("Content-Length", "5");
        // a broken chunked body after it: the answer written before the body was read still goes out, then the connection ends
        RawHttp.Answer broken = RawHttp.send(url.getPort(), "POST /ping HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nx\r\n");
        assertEquals(200, broken.status(), broken.head());
        assertEquals("pong\n", broken.body());
        assertTrue(broken.closed());
        given().get("/old-shop/cart").then().statusCode(410).contentType("text/html; charset=utf-8")
                .body(equalTo("<h1>The shop has closed</h1>")).header("Cache-Control", "public, max-age=86400")
                .header("X-Reason", "closed").header("X-Content-Type-Options", "nosniff");
    }

    @Test
    void aRouteChangesTheHostAndHeadersOnTheWayUpAndDown() {
        JsonPath seen = given().header("Cookie", "session=visitor").header("X-Env", "from-visitor").get("/hosted/echo").then()
                .statusCode(200).header("X-Upstream", org.hamcrest.Matchers.nullValue()).header("X-Frame-Options", "DENY")
                .header("X-Served-By", "edgestack").extract().jsonPath();
        assertEquals("127.0.0.1:" + FakeUpstreams.portA, seen.getString("headers.host"), "the chosen server's own name");
        assertEquals("staging", seen.getString("headers.x-env"), "set over the visitor's");
        assertEquals(null, seen.getString("headers.cookie"), "removed");
        assertTrue(seen.getString("headers.x-forwarded-host").startsWith("localhost"), seen.prettify());
        JsonPath named = given().get("/named/echo").then().statusCode(200).extract().jsonPath();
        assertEquals("app.internal.test", named.getString("headers.host"));
        JsonPath vhost = given().header("Host", "shop.example.test").get("/vhost/echo").then().statusCode(200).extract().jsonPath();
        assertEquals("shop.example.test", vhost.getString("headers.host"), "the visitor's, as Caddy sends it");
        // without the rules: the server's address as written in targets (the visitor's in X-Forwarded-Host), its headers
        JsonPath plain = given().get("/one/echo").then().statusCode(200).header("X-Upstream", "a").extract().jsonPath();
        assertEquals("127.0.0.1:" + FakeUpstreams.portA, plain.getString("headers.host"));
        assertTrue(plain.getString("headers.x-forwarded-host").startsWith("localhost"), plain.prettify());
    }

    @Test
    void givesTheSitesCacheControlRuleToAnUpstreamAnswerThatSetsNone() {
        // the default rules, as for static files: HTML is revalidated, hashed build assets are kept for a year
        given().get("/one/page.html").then().statusCode(200).header("Cache-Control", "public, max-age=0, must-revalidate");
        given().get("/one/docs/").then().statusCode(200).header("Cache-Control", "public, max-age=0, must-revalidate");
        given().get("/one/app-0123abcd.js").then().statusCode(200).header("Cache-Control", "public, max-age=31536000, immutable");
        given().get("/one/data").then().statusCode(200).header("Cache-Control", nullValue()); // no rule for this path
        given().get("/one/own.html").then().statusCode(200).header("Cache-Control", "no-store"); // the upstream's own
        // an error is not made cacheable by a rule of its path
        given().accept("application/json").get("/one/gone.html").then().statusCode(404).header("Cache-Control", nullValue());
    }

    @Test
    void proxiesToThePoolAndSetsForwardingHeaders() {
        JsonPath echo = given().header("X-Forwarded-For", "203.0.113.9").header("Connection", "keep-alive, X-Secret")
                .header("X-Secret", "hop").get("/api/echo").then().statusCode(200)
                .header("X-Upstream", org.hamcrest.Matchers.anyOf(equalTo("a"), equalTo("b")))
                .header("Server", nullValue())
                .extract().jsonPath();
        // The test client is on loopback, a trusted proxy by default: its X-Forwarded-For is extended.
        assertEquals("203.0.113.9, 127.0.0.1", echo.getString("headers.x-forwarded-for"));
        assertEquals("http", echo.getString("headers.x-forwarded-proto"));
        assertTrue(echo.getString("headers.forwarded").contains("for=127.0.0.1;proto=http"));
        assertTrue(echo.getString("headers.x-request-id").matches("[0-9a-f]{32}"));
        assertEquals(null, echo.getString("headers.x-secret"), "headers named in Connection are hop-by-hop");
    }

    @Test
    void removesTheUpstreamsHopByHopHeadersFromTheAnswer() {
        // RFC 9110 §7.6.1: Connection, the headers it names, Keep-Alive, Proxy-Connection and Upgrade are the upstream
        // connection's, not the visitor's (an answer with a body and one without: the exchange and the library send them)
        for (String request : List.of("GET /one/hop HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                "HEAD /one/hop HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")) {
            RawHttp.Answer answer = RawHttp.send(url.getPort(), request);
            assertEquals(200, answer.status(), answer.head());
            assertEquals("kept", answer.header("X-End"), answer.head());
            for (String hop : List.of("X-Hop", "Keep-Alive", "Proxy-Connection", "Upgrade")) {
                assertEquals(null, answer.header(hop), hop + " passed on: " + answer.head());
            }
            assertEquals("close", answer.header("Connection"), "the visitor's own connection's: " + answer.head());
        }
    }

    @Test
    void passesAnUnusualReasonPhraseOnAndKeepsTheUsualOne() {
        RawHttp.Answer unusual = RawHttp.get(url.getPort(), "/one/reason");
        assertTrue(unusual.head().startsWith("HTTP/1.1 203 Mirrored Elsewhere\r\n"), unusual.head());
        RawHttp.Answer usual = RawHttp.get(url.getPort(), "/one/plain");
        assertTrue(usual.head().startsWith("HTTP/1.1 200 OK\r\n"), usual.head());
    }

    @Test
    void aNoContentAnswerNamesNoContentCoding() {
        RawHttp.Answer answer = RawHttp.send(url.getPort(),
                "GET /one/nothing HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
        assertEquals(204, answer.status(), answer.head());
        assertNull(answer.header("Content-Encoding"), answer.head());
    }

    @Test
    void forwardsTheUpstreamsDateAsItCameAndAddsAnImfFixdateWhenThereIsNone() {
        // vertx-http-proxy alone re-formats it as "Tue, 1 Dec 2026 ..." (RFC 1123 with a one-digit day)
        var dated = given().get("/one/dated").then().statusCode(200).extract();
        assertEquals(List.of("Tue, 01 Dec 2026 14:13:59 GMT"), dated.headers().getValues("Date"));
        var undated = given().get("/one/plain").then().statusCode(200).extract();
        assertEquals(1, undated.headers().getValues("Date").size());
        assertTrue(undated.header("Date").matches("[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"),
                undated.header("Date"));
        assertEquals(null, undated.header("X-Edgestack-Forwarded-Date"));
    }

    @Test
    void keepsTheUpstreamsDateWhereTheLibrarySendsTheAnswer() {
        // A chunked answer to an HTTP/1.0 visitor is buffered and sent by vertx-http-proxy, which writes its own Date.
        RawHttp.Answer answer = RawHttp.send(url.getPort(), "GET /one/dated-chunked HTTP/1.0\r\nHost: localhost\r\n\r\n");
        assertEquals(200, answer.status(), answer.head());
        assertEquals("dated", answer.body());
        assertEquals("Tue, 01 Dec 2026 14:13:59 GMT", answer.header("Date"), answer.head());
        assertEquals(1, answer.head().toLowerCase(java.util.Locale.ROOT).split("\r\ndate:", -1).length - 1, answer.head());
        assertEquals(null, answer.header("X-Edgestack-Forwarded-Date"));
    }

    /**
     * Visitors that vanish mid-answer: 64 keep-alive clients in one process, killed (the kernel resets all of their
     * connections at once, as for a load generator stopped with ^C). The proxy logged an IllegalReferenceCountException
     * and "failed to mark a promise as failure" for most of them (vertx-http-proxy reset the response from inside the
     * write that failed), and a "Stream reset" error for the upstream request it gave up.
     */
    @Test
    void visitorsKilledMidAnswerLeaveNothingInTheLog() throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-s", "-Z", "--parallel-max", "64", "-o", "/dev/null"));
        command.add("http://127.0.0.1:" + url.getPort() + "/one/100k?n=[1-50000]"); // curl's globbing: 50,000 requests
        try (LogWatch watch = new LogWatch(r -> r.getLevel().intValue() >= Level.WARNING.intValue())) {
            for (int round = 0; round < 4; round++) {
                Process visitors = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                Thread.sleep(1500);
                assertTrue(visitors.isAlive(), "still asking when killed");
                visitors.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                Thread.sleep(300);
            }
            // the proxy is still fine, it answered all that time, and said nothing about the visitors that left
            given().get("/one/plain").then().statusCode(200);
            String metrics = given().accept("text/plain").get(management + "metrics").asString();
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("edgestack_proxy_requests_total{") && l.contains("route=\"/one/\"")
                    && Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) > 256), metrics);
            assertEquals(List.of(), watch.seen);
            // every exchange the visitors left is over: no upstream request is still counted in flight
            long deadline = System.nanoTime() + 10_000_000_000L;
            List<String> inFlight;
            do {
                Thread.sleep(100);
                inFlight = given().accept("text/plain").get(management + "metrics").asString().lines()
                        .filter(l -> l.startsWith("edgestack_proxy_upstream_active_requests{pool=\"example/one/\"") && !l.endsWith(" 0.0"))
                        .toList();
            } while (!inFlight.isEmpty() && System.nanoTime() < deadline);
            assertEquals(List.of(), inFlight);
        }
    }

    /** Concurrent requests go to the upstream at once, over as many connections (the pool is not Vert.x' default 5). */
    @Test
    void sendsConcurrentRequestsToTheUpstreamAtOnce() throws Exception {
        FakeUpstreams.HELD_AT_ONCE.set(0);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            answers.add(client.sendAsync(HttpRequest.newBuilder(URI.create(url + "one/held")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            assertEquals(200, answer.get(20, TimeUnit.SECONDS).statusCode());
        }
        assertTrue(FakeUpstreams.HELD_AT_ONCE.get() >= 30, "at most " + FakeUpstreams.HELD_AT_ONCE.get() + " at once");
    }

    @Test
    void countsRequestsWithBoundedLabelsAndReportsUpstreamHealth() {
        given().get("/api/metered").then().statusCode(200);
        given().accept("text/html").get("/down/metered").then().statusCode(502);
        String metrics = given().accept("text/plain").get(management + "metrics").asString();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("edgestack_proxy_requests_total{")
                && l.contains("route=\"/api/\"") && l.contains("site=\"example\"") && l.contains("status=\"2xx\"")
                && l.contains("upstream=\"http://127.0.0.1:")), metrics);
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("edgestack_proxy_requests_total{")
                && l.contains("route=\"/down/\"") && l.contains("status=\"5xx\"")), "the 502 is counted");
        assertTrue(metrics.contains("edgestack_proxy_request_duration_seconds_bucket{"), "latency histogram");
        assertTrue(metrics.contains("edgestack_proxy_response_bytes_sum{"), "bytes out");
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("edgestack_proxy_upstream_healthy{pool=\"example/api/\"")
                && l.contains("upstream=\"http://127.0.0.1:" + FakeUpstreams.portB + "\"") && l.endsWith(" 1.0")),
                "upstream health gauge");
        assertTrue(metrics.lines().filter(l -> l.startsWith("edgestack_proxy_requests_total{"))
                .noneMatch(l -> l.contains("metered")), "no raw path in any label");
    }

    @Test
    void countsOpenClientConnections() throws Exception {
        double before = gauge("edgestack_proxy_connections_active");
        try (Socket socket = new Socket("127.0.0.1", url.getPort())) {
            socket.getOutputStream().write("GET /api/hello HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            socket.getInputStream().read(new byte[4096]); // the answer; the connection stays open (keep-alive)
            assertEquals(before + 1, gauge("edgestack_proxy_connections_active"), "the open keep-alive connection");
        }
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (gauge("edgestack_proxy_connections_active") > before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(before, gauge("edgestack_proxy_connections_active"), "closed connections are no longer counted");
    }

    private double gauge(String name) {
        // Metrics are read on the management port, a separate server: its connections are not counted.
        String metrics = given().accept("text/plain").get(management + "metrics").asString();
        return metrics.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{")).findFirst()
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElseThrow(() -> new AssertionError(name + " missing"));
    }

    @Test
    void roundRobinsOverHealthyUpstreams() {
        int a = FakeUpstreams.A_HITS.get();
        int b = FakeUpstreams.B_HITS.get();
        for (int i = 0; i < 10; i++) {
            given().get("/api/hello").then().statusCode(200);
        }
        assertEquals(5, FakeUpstreams.A_HITS.get() - a);
        assertEquals(5, FakeUpstreams.B_HITS.get() - b);
    }

    @Test
    void activeHealthChecksTakeAnUpstreamOutAndBringItBack() throws Exception {
        FakeUpstreams.A_HEALTHY.set(false);
        try {
            awaitUpstreamState("unhealthy");
            int a = FakeUpstreams.A_HITS.get();
            for (int i = 0; i < 6; i++) {
                given().get("/api/hello").then().statusCode(200).header("X-Upstream", "b");
            }
            assertEquals(a, FakeUpstreams.A_HITS.get(), "no request reached the unhealthy upstream");
        } finally {
            FakeUpstreams.A_HEALTHY.set(true);
        }
        awaitUpstreamState("healthy");
        int a = FakeUpstreams.A_HITS.get();
        for (int i = 0; i < 4; i++) {
            given().get("/api/hello").then().statusCode(200);
        }
        assertTrue(FakeUpstreams.A_HITS.get() > a, "the upstream gets traffic again once healthy");
    }

    /**
     * An h2c pool's active health checks may ask the servers' standard gRPC health service ({@code grpc-service}), as
     * Envoy's gRPC health checks: a server that answers NOT_SERVING is taken out, and back in once it serves again.
     */
    @Test
    void grpcHealthChecksTakeAServerThatIsNotServingOut() throws Exception {
        String key = "example/grpc-checked/ h2c://127.0.0.1:" + FakeUpstreams.portH2c;
        awaitUpstreamState(key, "healthy");
        FakeUpstreams.GRPC_SERVING.set(2);
        try {
            awaitUpstreamState(key, "unhealthy");
            given().get("/grpc-checked/echo").then().statusCode(502)
                    .header("Proxy-Status", containsString("destination_unavailable"));
        } finally {
            FakeUpstreams.GRPC_SERVING.set(1);
        }
        awaitUpstreamState(key, "healthy");
    }

    private void awaitUpstreamState(String state) throws InterruptedException {
        awaitUpstreamState("example/api/ http://127.0.0.1:" + FakeUpstreams.portA, state);
    }

    private void awaitUpstreamState(String key, String state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            String now = given().get(management + "health/ready").jsonPath()
                    .getString("checks.find { it.name == 'upstreams' }.data.'" + key + "'");
            if (state.equals(now)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(key + " never became " + state);
    }

    @Test
    void answers502WithTheSitePageWhenTheUpstreamRefuses() {
        given().accept("text/html").get("/down/thing").then().statusCode(502)
                .contentType("text/html; charset=utf-8")
                .header("Proxy-Status", "edgestack-proxy; error=connection_refused")
                .header("X-Request-Id", org.hamcrest.Matchers.matchesPattern("[0-9a-f]{32}"))
                .body(containsString("502"));
        given().accept("application/json").get("/down/thing").then().statusCode(502)
                .contentType("application/problem+json").body("status", equalTo(502));
    }

    @Test
    void anUploadToAnUpstreamThatRefusesIsReadToItsEndAndItsConnectionServesOn() throws Exception {
        // The visitor gets its 502 while its upload still comes: the rest is read and dropped, then a keep-alive
        // connection serves the next request, and one that asked to close is closed once all is read (not while the
        // visitor still sends: its system answers such a close with a reset, which may overtake the 502).
        int size = 3 * 1024 * 1024; // under this test's max-body-size (4M)
        for (boolean close : new boolean[] {false, true}) {
            try (Socket visitor = new Socket("127.0.0.1", url.getPort())) {
                visitor.setSoTimeout(10_000);
                String answer = io.edgestack.testkit.RawAnswer.afterUpload(visitor,
                        "POST /down/upload HTTP/1.1\r\nHost: localhost\r\n" + (close ? "Connection: close\r\n" : ""), size);
                assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
                if (close) {
                    assertEquals(-1, visitor.getInputStream().read(), "closed once the upload was read");
                } else {
                    visitor.getOutputStream().write("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    String next = io.edgestack.testkit.RawAnswer.read(visitor.getInputStream());
                    assertTrue(next.startsWith("HTTP/1.1 200 "), next);
                }
            }
        }
    }

    @Test
    void aDeclaredUploadOverTheLimitGets413AndIsReadToItsEndBeforeTheClose() throws Exception {
        // The connection cannot carry another request and is closed after the 413: lingering, its write side shut and
        // the rest of the upload read and dropped, since a socket closed with unread bytes is reset, and the visitor's
        // system may drop the 413 it has not read yet on that reset (as nginx's lingering_close). Before: the
        // visitor's upload was reset.
        try (Socket visitor = new Socket("127.0.0.1", url.getPort())) {
            visitor.setSoTimeout(10_000);
            String answer = io.edgestack.testkit.RawAnswer.afterUpload(visitor, "POST /ping HTTP/1.1\r\nHost: localhost\r\n",
                    6 * 1024 * 1024); // over this test's 4M
            assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
            assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), answer);
            assertEquals(-1, visitor.getInputStream().read(), "closed");
        }
    }

    @Test
    void answers504WhenTheUpstreamIsTooSlow() {
        given().accept("application/json").get("/api/slow").then().statusCode(504)
                .body("detail", containsString("did not answer in time"));
    }

    @Test
    void timesOutEachRouteAtItsOwnFirstByteDeadline() throws Exception {
        // requests of a route with a 3 s timeout wait on the event loops (one connection each) when one of a route with
        // 500 ms is made: it gets its 504 at its own deadline, not the earlier requests' one nor the upstream's answer
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> patient = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            patient.add(client.sendAsync(HttpRequest.newBuilder(url.toURI().resolve("/patient/slow")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        Thread.sleep(200);
        long start = System.nanoTime();
        given().accept("application/json").get("/stall/slow").then().statusCode(504)
                .header("Proxy-Status", "edgestack-proxy; error=http_response_timeout");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 450 && millis < 1200, "504 after the route's 500 ms, not the upstream's 1500 (" + millis + " ms)");
        for (CompletableFuture<HttpResponse<String>> answer : patient) {
            HttpResponse<String> response = answer.get(10, TimeUnit.SECONDS);
            assertEquals(200, response.statusCode(), "an answer after 1.5 s is within the 3 s timeout");
            assertEquals("late", response.body());
        }
    }

    @Test
    void retriesAnIdempotentRequestOnAnotherUpstreamWhenConnectingFails() {
        for (int i = 0; i < 4; i++) {
            given().get("/retry/hello").then().statusCode(200).header("X-Upstream", "b");
        }
        given().body("x").post("/retry/hello").then().statusCode(org.hamcrest.Matchers.anyOf(equalTo(200), equalTo(502)));
    }

    @Test
    void replacesUpstreamErrorsWithSitePagesForBrowsersOnly() {
        given().accept("text/html").get("/api/missing").then().statusCode(404).body(org.hamcrest.Matchers.not(containsString("app 404")));
        given().accept("application/json").get("/api/missing").then().statusCode(404).body(equalTo("app 404"));
        given().accept("text/html").get("/one/missing").then().statusCode(404).body(equalTo("app 404"));
    }

    @Test
    void stripsTheRoutePrefixWhenAsked() {
        given().get("/one/echo?x=1").then().statusCode(200).body("uri", equalTo("/echo?x=1"));
    }

    @Test
    void aVisitorThatAsksToContinueIsToldToSendItsBody() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", url.getPort())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.ISO_8859_1));
            out.write(("POST /api/upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            out.flush();
            assertEquals("HTTP/1.1 100 Continue", in.readLine(), "before the body is sent (curl waits a second for it)");
            assertEquals("", in.readLine());
            out.write(new byte[5000]);
            out.flush();
            assertEquals("HTTP/1.1 200 OK", in.readLine());
            String line;
            while ((line = in.readLine()) != null && !line.isEmpty()) {
                // the head
            }
            char[] body = new char[4];
            assertEquals(4, in.read(body));
            assertEquals("5000", new String(body), "the upstream got the whole body");
        }
    }

    @Test
    void streamsRequestAndResponseBodies() {
        byte[] upload = new byte[3 * 1024 * 1024];
        given().body(upload).post("/api/upload").then().statusCode(200).body(equalTo(String.valueOf(upload.length)));
        assertEquals(64 * 16 * 1024, given().get("/api/big").then().statusCode(200).extract().asByteArray().length);
    }

    /**
     * Every byte of an answer arrives in its place, with a declared length and chunked, also to a visitor that reads
     * slowly (the upstream is paused and resumed), and visitors that leave mid-answer leak no buffer (Netty's detector,
     * at its strictest, reports none).
     */
    @Test
    void carriesAnswersByteForByteWithoutLeakingBuffers() throws Exception {
        io.netty.util.ResourceLeakDetector.Level level = io.netty.util.ResourceLeakDetector.getLevel();
        io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.PARANOID);
        try (LogWatch watch = new LogWatch(r -> r.getMessage() != null && r.getMessage().contains("LEAK"))) {
            int size = 1_000_003;
            byte[] expected = FakeUpstreams.pattern(size);
            for (int i = 0; i < 6; i++) {
                String query = "/one/pattern?size=" + size + (i % 2 == 1 ? "&chunked=1" : "");
                byte[] got = given().get(query).then().statusCode(200).extract().asByteArray();
                assertTrue(java.util.Arrays.equals(expected, got), "answer " + i + " (" + query + "): " + got.length + " bytes");
            }
            HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
            for (int i = 0; i < 3; i++) { // over HTTP/2 (h2c), in its streams' flow control
                HttpResponse<byte[]> answer = h2c.send(HttpRequest.newBuilder(URI.create(url + "one/pattern?size=" + size
                        + (i == 1 ? "&chunked=1" : ""))).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(HttpClient.Version.HTTP_2, answer.version());
                assertTrue(java.util.Arrays.equals(expected, answer.body()), "h2c answer " + i + ": " + answer.body().length + " bytes");
            }
            for (int i = 0; i < 2; i++) { // compressed on the way out
                byte[] got = given().header("Accept-Encoding", "gzip").get("/one/pattern?type=text/plain&size=" + size
                        + (i == 1 ? "&chunked=1" : "")).then().statusCode(200).header("Content-Encoding", "gzip")
                        .extract().asByteArray(); // decompressed by the client
                assertTrue(java.util.Arrays.equals(expected, got), "gzipped answer " + i + ": " + got.length + " bytes");
            }
            try (Socket slow = new Socket("127.0.0.1", url.getPort())) { // reads 1 MB in 8 KiB sips
                slow.setReceiveBufferSize(8192);
                slow.getOutputStream().write(("GET /one/pattern?size=" + size + " HTTP/1.1\r\nHost: localhost\r\n"
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                InputStream in = slow.getInputStream();
                ByteArrayOutputStream answer = new ByteArrayOutputStream();
                byte[] sip = new byte[8192];
                for (int n; (n = in.read(sip)) > 0;) {
                    answer.write(sip, 0, n);
                    if (answer.size() < 200_000) {
                        Thread.sleep(2);
                    }
                }
                byte[] whole = answer.toByteArray();
                int body = indexOf(whole, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 4;
                assertTrue(java.util.Arrays.equals(expected, java.util.Arrays.copyOfRange(whole, body, whole.length)),
                        "the slow visitor's answer: " + (whole.length - body) + " bytes");
            }
            for (int i = 0; i < 4; i++) { // visitors that leave mid-answer
                try (Socket leaving = new Socket("127.0.0.1", url.getPort())) {
                    leaving.getOutputStream().write(("GET /one/pattern?size=" + size + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    leaving.getInputStream().readNBytes(100_000);
                }
            }
            assertTrue(java.util.Arrays.equals(expected, given().get("/one/pattern?size=" + size).asByteArray()));
            for (int i = 0; i < 5 && watch.seen.isEmpty(); i++) {
                System.gc();
                Thread.sleep(100);
                // the detector reports what the collector found when the next buffers are tracked
                for (int j = 0; j < 100; j++) {
                    io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(64).release();
                }
                given().get("/one/pattern?size=300000").then().statusCode(200);
            }
            assertEquals(List.of(), watch.seen);
        } finally {
            io.netty.util.ResourceLeakDetector.setLevel(level);
        }
    }

    /** Collects the log records that match, from every logger, while open. */
    private static final class LogWatch extends Handler implements AutoCloseable {
        final List<String> seen = new CopyOnWriteArrayList<>();
        private final java.util.function.Predicate<LogRecord> matches;

        LogWatch(java.util.function.Predicate<LogRecord> matches) {
            this.matches = matches;
            Logger.getLogger("").addHandler(this);
        }

        @Override
        public void publish(LogRecord record) {
            if (matches.test(record)) {
                seen.add(record.getLoggerName() + ": " + record.getMessage() + " " + record.getThrown());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            Logger.getLogger("").removeHandler(this);
        }
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= bytes.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (bytes[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void refusesAChunkedBodyPastTheLimitWithoutForwardingIt() throws Exception {
        int before = FakeUpstreams.UPLOADS_RECEIVED.get();
        try (Socket socket = new Socket("127.0.0.1", url.getPort())) {
            socket.setSoTimeout(5000);
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                try {
                    InputStream in = socket.getInputStream();
                    byte[] buffer = new byte[8192];
                    for (int n; (n = in.read(buffer)) >= 0;) {
                        seen.write(buffer, 0, n);
                    }
                } catch (IOException e) {
                    // closed or reset after the answer: what arrived is kept
                }
                return seen.toString(StandardCharsets.ISO_8859_1);
            });
            OutputStream out = socket.getOutputStream();
            out.write("POST /api/upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            byte[] chunk = new byte[64 * 1024];
            try {
                for (int i = 0; i < 96; i++) { // 6 MiB, past the 4 MiB limit
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                // the proxy closed the connection: expected
            }
            String head = answer.get(10, TimeUnit.SECONDS);
            assertTrue(head.startsWith("HTTP/1.1 413"), head.lines().findFirst().orElse("nothing"));
        }
        Thread.sleep(300);
        assertEquals(before, FakeUpstreams.UPLOADS_RECEIVED.get(), "the upstream never received a complete body");
        byte[] small = new byte[1024 * 1024];
        given().body(small).post("/api/upload").then().statusCode(200).body(equalTo(String.valueOf(small.length)));
    }

    @Test
    void redirectsTheSitesConfiguredPathsBeforeAnyRoute() throws Exception {
        int hits = FakeUpstreams.A_HITS.get() + FakeUpstreams.B_HITS.get();
        RawHttp.Answer page = RawHttp.get(url.getPort(), "/old-page?ref=mail");
        assertEquals(301, page.status(), page.head());
        assertEquals("/one/plain?ref=mail", page.header("Location"));
        assertEquals("nosniff", page.header("X-Content-Type-Options"), "the site's headers are on redirects too");
        assertTrue(page.header("X-Request-Id") != null, page.head());
        // in front of an upstream route: the upstream never sees the old path
        RawHttp.Answer api = RawHttp.send(url.getPort(), "POST /api/legacy/users/7 HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
        assertEquals(308, api.status(), api.head());
        assertEquals("/api/users/7", api.header("Location"));
        assertEquals(302, RawHttp.get(url.getPort(), "/elsewhere").status());
        assertEquals("https://example.org/landing", RawHttp.get(url.getPort(), "/elsewhere").header("Location"));
        assertEquals(hits, FakeUpstreams.A_HITS.get() + FakeUpstreams.B_HITS.get(), "no upstream was asked");
        // followed: the new address answers
        given().redirects().follow(true).get("/old-page").then().statusCode(200);
    }

    @Test
    void answersABodyWithBrokenChunkedFramingWith400AndPassesNothingOn() throws Exception {
        int before = FakeUpstreams.UPLOADS_RECEIVED.get();
        String head = "POST /api/upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n";
        for (String body : List.of("ZZZ\r\nhello\r\n0\r\n\r\n", // a size that is not hexadecimal
                "5\r\nhello\r\nZZZ\r\nhello\r\n0\r\n\r\n", // the same after a good chunk
                "5\r\nhelloXX\r\n0\r\n\r\n", // a chunk not ended by CRLF
                "ffffffffffffffff\r\nhello\r\n", // a size past what any body may be
                "5\r\nhello\r\n0\r\nno colon here\r\n\r\n")) { // a trailer that is not a field
            RawHttp.Answer answer = RawHttp.send(url.getPort(), head + "\r\n" + body);
            assertEquals(400, answer.status(), body + ": " + answer.head());
            assertTrue(answer.body().contains("chunked transfer coding"), answer.body());
            assertTrue(answer.closed() && answer.head().toLowerCase(java.util.Locale.ROOT).contains("connection: close"),
                    "the connection ends with the answer: " + answer.head());
        }
        RawHttp.Answer json = RawHttp.send(url.getPort(), head + "Accept: application/json\r\n\r\n5\r\nhello\r\nZZZ\r\n");
        assertEquals(400, json.status(), json.head());
        assertTrue(json.body().contains("\"status\":400"), json.body());
        Thread.sleep(300);
        assertEquals(before, FakeUpstreams.UPLOADS_RECEIVED.get(), "the upstream never received a complete body");
    }

    @Test
    void anUploadSlowerThanTheFirstByteTimeoutIsNotCutOff() throws Exception {
        // The /api/ route's first-byte timeout is 700 ms: it runs from the end of the visitor's body, as Caddy's
        // response_header_timeout (Go's: "after fully writing the request"), not while a 1.5 s upload is still coming.
        // Before: 504 at 700 ms into the upload, the upstream request reset.
        byte[] piece = new byte[16 * 1024];
        java.util.Iterator<Integer> left = java.util.stream.IntStream.range(0, 10).iterator();
        InputStream slow = new InputStream() {
            private java.io.ByteArrayInputStream current = new java.io.ByteArrayInputStream(new byte[0]);

            @Override
            public int read() throws java.io.IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws java.io.IOException {
                if (current.available() == 0) {
                    if (!left.hasNext()) {
                        return -1;
                    }
                    left.next();
                    try {
                        Thread.sleep(150);
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                    current = new java.io.ByteArrayInputStream(piece);
                }
                return current.read(buffer, offset, length);
            }
        };
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long start = System.nanoTime();
        HttpResponse<String> uploaded = client.send(HttpRequest.newBuilder(URI.create(url + "api/upload"))
                .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> slow), 10L * piece.length))
                .timeout(java.time.Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(200, uploaded.statusCode(), uploaded.body());
        assertEquals(String.valueOf(10 * piece.length), uploaded.body());
        assertTrue(seconds > 1.2, "the upload took " + seconds + " s, longer than the first-byte timeout");
    }

    @Test
    void anAnswerTheUpstreamEncodedIsPassedAsItIsOverBothVersions() throws Exception {
        // Netty's HTTP/2 compressor took the upstream's Content-Encoding for a coding to apply: gzipped twice.
        RawHttp.Answer http1 = RawHttp.send(url.getPort(),
                "GET /one/gzipped HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
        assertEquals("gzip", http1.header("Content-Encoding"));
        HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        h2c.send(HttpRequest.newBuilder(URI.create(url + "one/hello")).build(), HttpResponse.BodyHandlers.discarding());
        for (String accepted : new String[] {"gzip", "br, zstd, gzip", "zstd"}) {
            HttpResponse<byte[]> answer = h2c.send(HttpRequest.newBuilder(URI.create(url + "one/gzipped"))
                    .header("Accept-Encoding", accepted).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(HttpClient.Version.HTTP_2, answer.version());
            assertEquals(200, answer.statusCode());
            assertEquals("gzip", answer.headers().firstValue("Content-Encoding").orElse(null), accepted);
            assertEquals(java.util.Optional.empty(), answer.headers().firstValue("x-edgestack-as-is"));
            try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(answer.body()))) {
                assertEquals(FakeUpstreams.GZIPPED_TEXT, new String(in.readAllBytes(), StandardCharsets.UTF_8),
                        "decoded once (" + accepted + ")");
            }
        }
        // and one the upstream left plain is compressed on the way out, once
        HttpResponse<byte[]> plain = h2c.send(HttpRequest.newBuilder(URI.create(url + "one/pattern?type=text/plain&size=5000"))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals("gzip", plain.headers().firstValue("Content-Encoding").orElse(null));
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(plain.body()))) {
            assertTrue(java.util.Arrays.equals(FakeUpstreams.pattern(5000), in.readAllBytes()));
        }
    }

    @Test
    void anAbsoluteFormTargetIsRoutedByItsHostAndSentOnInOriginForm() {
        // RFC 9112 §3.2.2: the target's host wins over the Host header, and an upstream gets origin form (it got
        // "http://localhost/echo?x=1", and the request went to the Host header's site)
        RawHttp.Answer answer = RawHttp.send(url.getPort(), "GET http://localhost/one/echo?x=1 HTTP/1.1\r\n"
                + "Host: files.test\r\nConnection: close\r\n\r\n");
        assertEquals(200, answer.status(), answer.head());
        JsonPath seen = new JsonPath(answer.body().substring(answer.body().indexOf('{')));
        assertEquals("/echo?x=1", seen.getString("uri"));
        assertEquals("localhost", seen.getString("headers.x-forwarded-host"));
    }

    @Test
    void passesOnAnUpstreamsEarlyHints() throws Exception {
        RawHttp.Answer http11 = RawHttp.send(url.getPort(), "GET /raw/early-hints HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertEquals(103, http11.status(), http11.head());
        assertEquals("</style.css>; rel=preload; as=style", http11.header("Link"));
        assertTrue(http11.body().startsWith("HTTP/1.1 200 OK\r\n"), http11.body());
        assertTrue(http11.body().endsWith("\r\n\r\nhints"), http11.body());
        RawHttp.Answer http10 = RawHttp.send(url.getPort(), "GET /raw/early-hints HTTP/1.0\r\nHost: localhost\r\n\r\n");
        assertEquals(200, http10.status(), "no 1xx to an HTTP/1.0 client: " + http10.head());
    }

    /**
     * gRPC through the proxy, as Caddy's {@code reverse_proxy h2c://}: an {@code h2c://} pool is spoken to in HTTP/2
     * from the first byte (the server answers HTTP/1.1 with 505), the visitor's {@code TE: trailers} is passed on (gRPC
     * servers ask for it; TE is otherwise hop-by-hop), and the answer's trailer fields ({@code grpc-status}) reach the
     * visitor after the body; a trailers-only answer (gRPC's errors) keeps its status in its headers. vertx-http-proxy
     * dropped every trailer field and spoke HTTP/1.1 only.
     */
    @Test
    void proxiesGrpcToAnH2cServerWithItsTrailers() throws Exception {
        io.vertx.core.http.HttpClient client = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            byte[] message = {0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'}; // a gRPC frame: not compressed, 5 bytes
            var answer = client.request(io.vertx.core.http.HttpMethod.POST, url.getPort(), "127.0.0.1", "/grpc/echo")
                    .compose(request -> request.putHeader("content-type", "application/grpc").putHeader("te", "trailers")
                            .send(io.vertx.core.buffer.Buffer.buffer(message))
                            .compose(response -> response.body().map(body -> java.util.Map.entry(response, body))))
                    .toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            var response = answer.getKey();
            assertEquals(200, response.statusCode());
            assertEquals(io.vertx.core.http.HttpVersion.HTTP_2, response.version());
            assertEquals("HTTP_2", response.getHeader("x-seen-version"), "the upstream was spoken to in HTTP/2");
            assertEquals("trailers", response.getHeader("x-seen-te"), "TE: trailers passed on");
            assertEquals("application/grpc", response.getHeader("content-type"));
            assertArrayEquals(message, answer.getValue().getBytes());
            assertEquals("0", response.trailers().get("grpc-status"), "trailers: " + response.trailers());
            assertEquals("echoed", response.trailers().get("grpc-message"));
            assertNull(response.trailers().get("content-length"), "no framing field among the trailers");

            var missing = client.request(io.vertx.core.http.HttpMethod.POST, url.getPort(), "127.0.0.1", "/grpc/missing")
                    .compose(request -> request.putHeader("content-type", "application/grpc").putHeader("te", "trailers")
                            .send(io.vertx.core.buffer.Buffer.buffer(message))
                            .compose(r -> r.body().map(body -> r)))
                    .toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, missing.statusCode());
            assertEquals("12", missing.getHeader("grpc-status"), "a trailers-only answer");
            assertEquals("unknown method", missing.getHeader("grpc-message"));

            // an HTTP/1.1 visitor that takes trailers (the tunnel's connector): chunked, so that they can follow, though
            // the server said the length
            RawHttp.Answer http11 = RawHttp.send(url.getPort(), "POST /grpc/echo HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/grpc\r\nTE: trailers\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
            assertEquals(200, http11.status(), http11.head());
            assertEquals("chunked", http11.header("Transfer-Encoding"), http11.head());
            assertTrue(http11.body().endsWith("\r\n0\r\ngrpc-status: 0\r\ngrpc-message: echoed\r\n\r\n"), http11.body());
        } finally {
            client.close();
        }
    }

    /** An HTTP/1.1 upstream's chunked answer with trailer fields: passed on after the last chunk, framing fields not. */
    @Test
    void passesOnTheTrailerFieldsOfAChunkedAnswer() {
        RawHttp.Answer answer = RawHttp.send(url.getPort(), "GET /raw/trailers HTTP/1.1\r\nHost: localhost\r\nTE: trailers\r\n"
                + "Connection: close\r\n\r\n");
        assertEquals(200, answer.status(), answer.head());
        assertEquals("chunked", answer.header("Transfer-Encoding"));
        assertTrue(answer.body().endsWith("\r\n0\r\nX-Checksum: 5d41402a\r\n\r\n"), answer.body());
        assertFalse(answer.body().contains("Content-Length"), answer.body());
    }

    @Test
    void passesOnABodyThatEndsWithItsConnection() throws Exception {
        // no Content-Length, not chunked: the upstream's closing ends it (RFC 9112 6.3); the visitor's answer hung
        for (int i = 0; i < 3; i++) {
            given().get("/raw/close-delimited").then().statusCode(200).body(equalTo("a body that ends when its connection does"));
        }
        HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).connectTimeout(java.time.Duration.ofSeconds(5))
                .build();
        h2c.send(HttpRequest.newBuilder(URI.create(url + "one/hello")).build(), HttpResponse.BodyHandlers.discarding());
        HttpResponse<String> overHttp2 = h2c.send(HttpRequest.newBuilder(URI.create(url + "raw/close-delimited"))
                .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("a body that ends when its connection does", overHttp2.body());
    }

    @Test
    void readsAnyCaseOfChunkedAndRefusesATransferCodingItCannotPassOn() throws Exception {
        // vertx-http-proxy answered 501, empty, to "Transfer-Encoding: Chunked" (it compares with "chunked" as is)
        given().get("/raw/upper").then().statusCode(200).body(equalTo("hello world")).header("TE", nullValue());
        HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        h2c.send(HttpRequest.newBuilder(URI.create(url + "one/hello")).build(), HttpResponse.BodyHandlers.discarding());
        HttpResponse<String> overHttp2 = h2c.send(HttpRequest.newBuilder(URI.create(url + "raw/upper")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, overHttp2.version());
        assertEquals(200, overHttp2.statusCode());
        assertEquals("hello world", overHttp2.body());
        assertTrue(overHttp2.headers().firstValue("te").isEmpty(), "no connection-specific field over HTTP/2 (RFC 9113 8.2.2)");
        // and a visitor's "Chunked" upload is chunked too (the library refused it with an empty 400)
        RawHttp.Answer upload = RawHttp.send(url.getPort(), "POST /one/upload HTTP/1.1\r\nHost: localhost\r\n"
                + "Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        assertEquals(200, upload.status(), upload.head());
        assertEquals("11", upload.body());
        // another coding than chunked cannot be passed on (HTTP/2 has none, HTTP/1.1 clients need not know it): 502,
        // as nginx's "upstream sent unknown Transfer-Encoding"
        given().accept("application/json").get("/raw/gzip-chunked").then().statusCode(502)
                .header("Proxy-Status", containsString("http_protocol_error"))
                .contentType("application/problem+json");
    }

    /**
     * An answer head of 20 KiB (an app's large Content-Security-Policy, many cookies) is passed on, as Caddy does (Vert.x'
     * 8 KiB default made it a 502); past 64 KiB, and an answer Netty cannot read, are 502s naming the RFC 9209 error.
     */
    @Test
    void passesLargeAnswerHeadsOnAndNamesWhatIsWrongWithBadOnes() {
        String large = given().get("/raw/head-20").then().statusCode(200).body(equalTo("ok")).extract().header("X-Large");
        assertEquals(20 * 1024, large.length());
        given().accept("application/json").get("/raw/head-70").then().statusCode(502)
                .header("Proxy-Status", "edgestack-proxy; error=http_response_header_section_size");
        given().accept("application/json").get("/raw/two-lengths").then().statusCode(502)
                .header("Proxy-Status", "edgestack-proxy; error=http_protocol_error");
    }

    @Test
    void refusesABodyPastTheLimitOverHttp2WithoutEndingTheConnection() throws Exception {
        int before = FakeUpstreams.UPLOADS_RECEIVED.get();
        HttpClient h2c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> first = h2c.send(HttpRequest.newBuilder(URI.create(url + "one/hello")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, first.version(), "h2c upgrade");
        // 6 MiB of unknown length (no content-length): the 4 MiB limit is met while it streams
        byte[] chunk = new byte[64 * 1024];
        java.util.function.Supplier<InputStream> sixMiB = () -> new java.io.SequenceInputStream(java.util.Collections.enumeration(
                java.util.Collections.nCopies(96, chunk).stream().map(b -> (InputStream) new java.io.ByteArrayInputStream(b)).toList()));
        // under the limit, of unknown length too: it reaches the upstream whole (it hung before, every write refused)
        java.util.function.Supplier<InputStream> oneMiB = () -> new java.io.SequenceInputStream(java.util.Collections.enumeration(
                java.util.Collections.nCopies(16, chunk).stream().map(b -> (InputStream) new java.io.ByteArrayInputStream(b)).toList()));
        HttpResponse<String> uploaded = h2c.send(HttpRequest.newBuilder(URI.create(url + "api/upload"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(oneMiB)).timeout(java.time.Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, uploaded.version());
        assertEquals(200, uploaded.statusCode(), uploaded.body());
        assertEquals(String.valueOf(16 * chunk.length), uploaded.body());
        before = FakeUpstreams.UPLOADS_RECEIVED.get();
        HttpResponse<String> refused = h2c.send(HttpRequest.newBuilder(URI.create(url + "api/upload"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(sixMiB)).timeout(java.time.Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(HttpClient.Version.HTTP_2, refused.version());
        assertEquals(413, refused.statusCode(), refused.body());
        assertTrue(refused.headers().firstValue("Connection").isEmpty(), "no connection header over HTTP/2");
        // the same HTTP/2 connection carries on
        HttpResponse<String> after = h2c.send(HttpRequest.newBuilder(URI.create(url + "one/hello")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, after.statusCode());
        assertEquals(before, FakeUpstreams.UPLOADS_RECEIVED.get(), "the upstream never received a complete body");
    }

    @Test
    void survivesAnUpstreamDyingMidResponse() {
        RawHttp.Answer cut = RawHttp.get(url.getPort(), "/one/partial");
        assertEquals(200, cut.status(), "the status was already sent");
        assertTrue(cut.body().length() < 100000, "the client sees a truncated body, not a complete one");
        given().get("/one/hello").then().statusCode(200).body(equalTo("a /hello"));
    }

    @Test
    void closesAnExchangeWhoseUpstreamFallsSilentMidResponse() {
        long start = System.nanoTime();
        RawHttp.Answer cut = RawHttp.get(url.getPort(), "/stall/stalls");
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, cut.status(), "the status was already sent");
        assertEquals(1000, cut.body().length(), "the client gets what arrived, then the connection closes");
        assertTrue(millis < 4000, "closed by the 800 ms idle timeout, not left open until the client gives up (" + millis + " ms)");
    }

    @Test
    void passesWebSocketsThrough() throws Exception {
        CompletableFuture<String> received = new CompletableFuture<>();
        WebSocket socket = webSocket("/ws", received::complete);
        socket.sendText("hello through the proxy", true);
        assertEquals("hello through the proxy", received.get(5, TimeUnit.SECONDS));
        assertEquals(1.0, sum("edgestack_proxy_upstream_active_requests{", "pool=\"example/ws\""), "the open WebSocket");
        // with it (keep-alive connections of the tests before may close meanwhile; this test opens no other)
        double connections = gauge("edgestack_proxy_connections_active");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        // Once upgraded, Vert.x hands the connection to a plain socket: the closed WebSocket must still end its exchange
        // (the upstream's count of requests in flight, the request's metrics) and its client connection's count.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while ((sum("edgestack_proxy_upstream_active_requests{", "pool=\"example/ws\"") > 0
                || gauge("edgestack_proxy_connections_active") > connections - 1) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0.0, sum("edgestack_proxy_upstream_active_requests{", "pool=\"example/ws\""), "the closed WebSocket");
        double after = gauge("edgestack_proxy_connections_active");
        assertTrue(after <= connections - 1, "its client connection is no longer counted: " + connections + " then " + after);
        assertTrue(sum("edgestack_proxy_requests_total{", "route=\"/ws\"") >= 1, "the WebSocket's request is counted once over");
    }

    /**
     * Neither side's first message is lost right after the upgrade: the upstream greets the moment it has upgraded,
     * the visitor speaks the moment it has the 101 (each a race between a socket's first read and its reader).
     */
    @Test
    void aWebSocketLosesNoFirstMessageEitherWay() throws Exception {
        io.vertx.core.http.WebSocketClient client = vertx.createWebSocketClient();
        try {
            for (int i = 0; i < 500; i++) {
                java.util.concurrent.BlockingQueue<String> messages = new java.util.concurrent.LinkedBlockingQueue<>();
                // Its handler set before the connect: WebSocketClient.connect resumes the socket before its caller's
                // onSuccess runs, and a greeting that came with the 101 was dropped by the test's own client.
                io.vertx.core.http.ClientWebSocket ws = client.webSocket();
                ws.textMessageHandler(messages::add);
                ws.connect(new io.vertx.core.http.WebSocketConnectOptions().setHost("127.0.0.1").setPort(url.getPort())
                        .setURI("/ws-greets")).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
                ws.writeTextMessage("first words " + i);
                // Both arrive; their order is the fake upstream's (its greeting and its echo of what the visitor sent at
                // once come from two handlers of its own), not something the proxy decides: each direction is in order.
                java.util.Set<String> both = new java.util.HashSet<>();
                both.add(messages.poll(5, TimeUnit.SECONDS));
                both.add(messages.poll(5, TimeUnit.SECONDS));
                assertEquals(java.util.Set.of("hello from the upstream", "first words " + i), both, "messages of upgrade " + i);
                ws.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            }
        } finally {
            client.close();
        }
    }

    /**
     * A visitor's WebSocket messages wait at the visitor while the upstream reads none: the proxy stops reading the
     * visitor once the upstream's connection is full, instead of holding all the visitor sends in its memory.
     */
    @Test
    void aWebSocketVisitorIsHeldBackWhileTheUpstreamReadsNothing() throws Exception {
        io.vertx.core.http.WebSocketClient client = vertx.createWebSocketClient();
        try {
            io.vertx.core.http.WebSocket ws = vertxWebSocket(client, "/ws-deaf", null, socket -> { });
            java.util.concurrent.atomic.AtomicInteger written = new java.util.concurrent.atomic.AtomicInteger();
            io.vertx.core.buffer.Buffer piece = io.vertx.core.buffer.Buffer.buffer(new byte[64 * 1024]);
            int pieces = 1024; // 64 MiB
            for (int i = 0; i < pieces; i++) {
                ws.writeBinaryMessage(piece).onSuccess(v -> written.incrementAndGet());
            }
            Thread.sleep(3000);
            int through = written.get();
            assertTrue(through < pieces / 2, "the proxy took " + through * 64 / 1024 + " MiB from the visitor for an upstream "
                    + "that reads nothing");
        } finally {
            // the upstream ends it: the proxy reads nothing more from the visitor, its close frame included
            FakeUpstreams.DEAF.forEach(io.vertx.core.http.ServerWebSocket::close);
            FakeUpstreams.DEAF.clear();
            client.close();
        }
    }

    /**
     * Held back, then let go: 8 MiB echoed through the proxy arrive whole, each side's pipe paused while the other's
     * connection is full and resumed once it drains (a pipe never resumed would stop after the first 64 KiB).
     */
    @Test
    void aWebSocketCarriesMegabytesBothWaysThroughThePauses() throws Exception {
        io.vertx.core.http.WebSocketClient client = vertx.createWebSocketClient();
        try {
            byte[] bytes = new byte[8 << 20];
            new java.util.Random(8).nextBytes(bytes);
            io.vertx.core.buffer.Buffer received = io.vertx.core.buffer.Buffer.buffer();
            CompletableFuture<byte[]> all = new CompletableFuture<>();
            io.vertx.core.http.WebSocket ws = vertxWebSocket(client, "/ws", null, socket -> socket.binaryMessageHandler(piece -> {
                received.appendBuffer(piece);
                if (received.length() >= bytes.length) {
                    all.complete(received.getBytes());
                }
            }));
            for (int at = 0; at < bytes.length; at += 64 * 1024) {
                ws.writeBinaryMessage(io.vertx.core.buffer.Buffer.buffer(java.util.Arrays.copyOfRange(bytes, at, at + 64 * 1024)))
                        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(bytes, all.get(30, TimeUnit.SECONDS));
            ws.close();
        } finally {
            client.close();
        }
    }

    /** The other way: an upstream's messages wait at the upstream while the visitor reads none. */
    @Test
    void aWebSocketUpstreamIsHeldBackWhileTheVisitorReadsNothing() throws Exception {
        io.vertx.core.http.WebSocketClient client = vertx.createWebSocketClient();
        try {
            FakeUpstreams.FLOOD_WRITTEN.set(0);
            io.vertx.core.http.WebSocket ws = vertxWebSocket(client, "/ws-flood", null, socket -> socket.pause()); // before anything is read
            Thread.sleep(3000);
            int through = FakeUpstreams.FLOOD_WRITTEN.get();
            assertTrue(through > 0, "the upstream wrote nothing: the test shows nothing");
            assertTrue(through < 512, "the proxy took " + through * 64 / 1024 + " MiB from the upstream for a visitor that "
                    + "reads nothing");
            ws.close();
        } finally {
            client.close();
        }
    }

    @Test
    void keepsAWebSocketOpenPastTheFirstByteTimeout() throws Exception {
        // the first-byte timeout ends with the 101: a WebSocket that stays silent longer is not cut. Also: the upgrade
        // is sent as the stages set other requests (vertx-http-proxy skips them for upgrades)
        List<String> received = new CopyOnWriteArrayList<>();
        WebSocket socket = webSocket("/quick/ws", received::add);
        Thread.sleep(1200); // three times the route's 400 ms
        socket.sendText("still there", true).get(5, TimeUnit.SECONDS);
        socket.sendText("?", true).get(5, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (received.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        // the upgrade went to /ws (the route strips /quick) with the forwarding headers and request id the stages set
        assertEquals(List.of("still there", "for=127.0.0.1 proto=http id=true"), received);
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    }

    /**
     * A Vert.x WebSocket opened through the proxy at {@code path} (with {@code host} as Host, or the proxy's address);
     * {@code opened} runs on its event loop as it is handed over, before any message is read.
     */
    private io.vertx.core.http.WebSocket vertxWebSocket(io.vertx.core.http.WebSocketClient client, String path, String host,
            java.util.function.Consumer<io.vertx.core.http.WebSocket> opened) throws Exception {
        io.vertx.core.http.WebSocketConnectOptions options = new io.vertx.core.http.WebSocketConnectOptions()
                .setHost("127.0.0.1").setPort(url.getPort()).setURI(path);
        if (host != null) {
            options.addHeader("Host", host);
        }
        return client.connect(options).onSuccess(opened::accept).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** A WebSocket opened through the proxy at {@code path}, handing each text message it receives to {@code onText}. */
    private WebSocket webSocket(String path, java.util.function.Consumer<String> onText) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(3))
                .buildAsync(URI.create("ws://127.0.0.1:" + url.getPort() + path), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        onText.accept(data.toString());
                        webSocket.request(1);
                        return null;
                    }
                }).get(5, TimeUnit.SECONDS);
    }

    /** The sum of the values of the metric lines of {@code metric} (name and "{") that hold {@code label}. */
    private double sum(String metric, String label) {
        return io.edgestack.proxy.ManagementMetrics.sum(management, metric, label);
    }
}
