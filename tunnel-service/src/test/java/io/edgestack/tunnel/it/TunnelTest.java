package io.edgestack.tunnel.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.edgestack.tunnel.connector.Backoff;
import io.edgestack.tunnel.connector.Connector;
import io.edgestack.tunnel.connector.EdgeAddress;
import io.edgestack.tunnel.connector.Ingress;
import io.edgestack.tunnel.connector.OriginTls;
import io.edgestack.tunnel.edge.ConnectorListener;
import io.edgestack.tunnel.metrics.TunnelMetrics;
import io.edgestack.tunnel.mux.Mux;
import io.edgestack.tunnel.protocol.Frame;
import io.edgestack.tunnel.protocol.FrameType;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.PoolOptions;

/**
 * The edge (this Quarkus app, on its real ports) with connectors built in the test: requests go visitor → edge public
 * port → WebSocket connection → connector → origin HTTP server, all on loopback.
 */
@QuarkusTest
class TunnelTest {

    @TestHTTPResource("/")
    URL publicPort;

    @TestHTTPResource(value = "", management = true)
    URL management;

    @Inject
    ConnectorListener listener;

    @Inject
    io.edgestack.tunnel.edge.TunnelDirectory directory;

    @Inject
    Vertx vertx;

    /** Connectors built here report to their own registry, as a separate connector process would. */
    private final io.micrometer.core.instrument.simple.SimpleMeterRegistry connectorRegistry =
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    private final TunnelMetrics metrics = new TunnelMetrics(connectorRegistry);

    private TestOrigin origin;
    private HttpClient visitors;
    private final List<Connector> connectors = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        origin = new TestOrigin(vertx);
        visitors = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setMaxHeaderSize(64 * 1024),
                new PoolOptions().setHttp1MaxSize(200));
    }

    @AfterEach
    void stop() throws Exception {
        for (Connector connector : connectors) {
            connector.stop().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        connectors.clear();
        await("no connection left at the edge", () -> given().auth().oauth2("test-admin-token")
                .get(management.toString().replace("/q/", "/admin/tunnels")).jsonPath().getList("tunnels.connections.flatten()").isEmpty());
        visitors.close();
        origin.close();
    }

    private String token(String tunnel, List<String> hosts) {
        return listener.tokens().issue(tunnel, hosts, Duration.ofHours(1));
    }

    private Connector connector(int connections, String token, Ingress ingress, Duration originTimeout) {
        Connector.Settings settings = new Connector.Settings(
                List.of(new EdgeAddress("127.0.0.1", listener.boundPort())), token, connections, false, Optional.empty(),
                new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), Math::random), Duration.ofSeconds(10),
                new Mux.Settings(Duration.ofMillis(500), 3, 1000, 2000), "test-replica", Duration.ofSeconds(1), originTimeout,
                Duration.ofSeconds(2));
        Connector connector = new Connector(vertx, settings, ingress, metrics);
        connectors.add(connector);
        connector.start();
        return connector;
    }

    private Connector connected(int connections) {
        Connector connector = connector(connections, token("site", List.of("localhost", "127.0.0.1")), toOrigin(),
                Duration.ofSeconds(5));
        await(connections + " connections registered", () -> connector.registered() == connections);
        return connector;
    }

    private Ingress toOrigin() {
        return new Ingress(List.of(new Ingress.Rule(Optional.empty(), Optional.empty(), URI.create(origin.url()), 0)));
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private record Answer(int status, Buffer body, io.vertx.core.MultiMap headers) {
    }

    private Future<Answer> send(HttpMethod method, String path, Buffer body) {
        RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(publicPort.getPort())
                .setURI(path).putHeader("Host", "localhost:" + publicPort.getPort());
        return visitors.request(options)
                .compose(request -> body == null ? request.send() : request.send(body))
                .compose(response -> response.body().map(b -> new Answer(response.statusCode(), b, response.headers())));
    }

    /**
     * Opens slow downloads ({@code chunks} lines, one each 100 ms) one at a time until every connection of
     * {@code connector} carries one. The edge prefers a connection on the visitor's own event loop while it is not
     * much busier than the others, so a fixed number of streams need not reach every connection; the spread itself is
     * what is checked here: it must come within 40 streams.
     */
    private List<Future<Answer>> streamsOnEveryConnection(Connector connector, int chunks) {
        List<Future<Answer>> answers = new ArrayList<>();
        while (!connector.connections().stream().allMatch(m -> m.activeStreams() > 0)) {
            List<Integer> load = connector.connections().stream().map(Mux::activeStreams).toList();
            assertTrue(answers.size() < 40, answers.size() + " streams and still a connection without one: " + load);
            answers.add(send(HttpMethod.GET, "/trickle?chunks=" + chunks, null));
            int open = answers.size();
            await("stream " + open + " open", () -> connector.connections().stream().mapToInt(Mux::activeStreams).sum() == open);
        }
        return answers;
    }

    private static <T> T get(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ through the tunnel

    @Test
    void socketsGoThroughNettysEpollTransport() {
        assertTrue(vertx.isNativeTransportEnabled(), "quarkus.vertx.prefer-native-transport with netty-transport-native-epoll: "
                + vertx.unavailableNativeTransportCause());
    }

    @Test
    void carriesRequestsToTheOriginWithForwardingHeadersAndARequestId() {
        connected(1);
        given().header("X-Request-Id", "trace-42").get(publicPort + "hello")
                .then().statusCode(200)
                .body(equalTo("hello from the origin"))
                .header("X-Seen-Host", "localhost:" + publicPort.getPort())
                .header("X-Seen-Forwarded-For", "127.0.0.1")
                .header("X-Seen-Request-Id", "trace-42")
                .header("X-Request-Id", "trace-42");
    }

    @Test
    void anHttpsOriginIsCheckedUnlessItsRuleSaysHowAndARuleMayNameTheHost() throws Exception {
        // a local service with a certificate for "localhost" from a CA no JVM trusts (the TLS warm-up's own)
        Buffer chain = io.edgestack.cluster.TlsWarmup.resource("warmup-chain.pem");
        io.vertx.core.http.HttpServer https = get(vertx.createHttpServer(new io.vertx.core.http.HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions().setCertValue(chain)
                        .setKeyValue(io.edgestack.cluster.TlsWarmup.resource("warmup-key.pem"))))
                .requestHandler(request -> request.response().end("secure " + request.path() + " for " + request.getHeader("Host")))
                .listen(0, "127.0.0.1"));
        String pem = chain.toString();
        java.nio.file.Path ca = java.nio.file.Files.createTempFile("origin-ca", ".pem");
        java.nio.file.Files.writeString(ca, pem.substring(pem.lastIndexOf("-----BEGIN CERTIFICATE-----")));
        URI url = URI.create("https://127.0.0.1:" + https.actualPort());
        try {
            Ingress ingress = new Ingress(List.of(
                    new Ingress.Rule(Optional.empty(), Optional.of("/checked"), url, 0),
                    new Ingress.Rule(Optional.empty(), Optional.of("/any"), url, 0, new OriginTls(true, null, null), null),
                    new Ingress.Rule(Optional.empty(), Optional.of("/named"), url, 0, new OriginTls(false, "localhost", ca.toString()), null),
                    new Ingress.Rule(Optional.empty(), Optional.of("/by-address"), url, 0, new OriginTls(false, null, ca.toString()), null),
                    new Ingress.Rule(Optional.empty(), Optional.of("/renamed"), url, 0, new OriginTls(true, null, null), "nas.internal"),
                    new Ingress.Rule(Optional.empty(), Optional.empty(), URI.create(origin.url()), 0)));
            Connector connector = connector(1, token("site", List.of("localhost", "127.0.0.1")), ingress, Duration.ofSeconds(5));
            await("registered", () -> connector.registered() == 1);
            assertEquals(502, get(send(HttpMethod.GET, "/checked/x", null)).status(), "the JVM does not trust that CA");
            Answer any = get(send(HttpMethod.GET, "/any/x", null));
            assertEquals(200, any.status(), "no-tls-verify");
            assertEquals("secure /any/x for localhost:" + publicPort.getPort(), any.body().toString(), "the visitor's Host");
            Answer named = get(send(HttpMethod.GET, "/named/x", null));
            assertEquals(200, named.status(), "ca-pool and origin-server-name");
            assertEquals("secure /named/x for localhost:" + publicPort.getPort(), named.body().toString());
            assertEquals(502, get(send(HttpMethod.GET, "/by-address/x", null)).status(),
                    "the right CA, but its certificate does not name 127.0.0.1");
            assertEquals("secure /renamed/x for nas.internal", get(send(HttpMethod.GET, "/renamed/x", null)).body().toString(),
                    "http-host-header");
        } finally {
            https.close();
            java.nio.file.Files.deleteIfExists(ca);
        }
    }

    @Test
    void aSafeRequestWhoseOriginConnectionClosesUnansweredIsSentOnceMoreAndAPostIsNot() throws Exception {
        // An origin that closes a connection at its first request unanswered (a keep-alive connection closed by the
        // origin at the moment it is reused), then answers every other request.
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean dropNext = new java.util.concurrent.atomic.AtomicBoolean(true);
        io.vertx.core.net.NetServer closing = rawOrigin(socket -> {
            seen.incrementAndGet();
            if (dropNext.getAndSet(false)) {
                socket.close();
            } else {
                socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        try {
            connectedTo(closing);
            Answer answer = get(send(HttpMethod.GET, "/page", null));
            assertEquals(200, answer.status());
            assertEquals("ok", answer.body().toString());
            assertEquals(2, seen.get(), "the GET was sent once more on a new connection");

            dropNext.set(true);
            seen.set(0);
            assertEquals(502, get(send(HttpMethod.POST, "/form", Buffer.buffer("a=1"))).status(), "a POST is never sent twice");
            assertEquals(1, seen.get());
        } finally {
            closing.close();
        }
    }

    @Test
    void anOriginAnswerThatTurnsMalformedIsNotPassedOnAsComplete() throws Exception {
        // A chunked answer whose second chunk size is not hexadecimal: the visitor must not get a whole-looking
        // answer of the first chunk (the connector carries body pieces itself; a malformed one must fail the answer).
        io.vertx.core.net.NetServer broken = rawOrigin(socket -> {
            socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            vertx.setTimer(50, t -> socket.write("zz\r\nnot a chunk\r\n0\r\n\r\n"));
        });
        try {
            connectedTo(broken);
            for (int i = 0; i < 3; i++) {
                Answer answer;
                try {
                    answer = get(send(HttpMethod.GET, "/page", null));
                } catch (Exception cut) {
                    continue; // the visitor's connection was reset mid-answer: what it must see
                }
                assertTrue(answer.status() >= 500, "a broken answer passed on as " + answer.status() + " '" + answer.body() + "'");
            }
        } finally {
            broken.close();
        }
    }

    /**
     * An answer that breaks HTTP or that the tunnel cannot carry is a 502 of its own stream, naming the cause, with
     * {@code http_protocol_error}; the tunnel connection lives on (a status of 999 went into a RESPONSE frame the edge
     * refused, and the edge closed the whole connection, every visitor's stream on it). What can be carried is, without
     * the origin connection's own headers: a 20 KB header (over Vert.x' 8 KiB default, a 502 before), but not what
     * {@code Connection} names, nor {@code TE}.
     */
    @Test
    void anAnswerTheTunnelCannotPassOnFailsItsOwnStreamAndNoOther() throws Exception {
        String large = "v".repeat(20_000);
        java.util.Map<String, String> answers = java.util.Map.of(
                "/status", "HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nok",
                "/coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                "/huge", "HTTP/1.1 200 OK\r\nX-Huge: " + "v".repeat(70_000) + "\r\nContent-Length: 2\r\n\r\nok",
                "/two-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
                "/large", "HTTP/1.1 200 OK\r\nX-Large: " + large + "\r\nContent-Length: 2\r\n\r\nok",
                "/named", "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nTE: trailers\r\n"
                        + "Keep-Alive: timeout=5\r\nX-Kept: k\r\nContent-Length: 2\r\n\r\nok");
        io.vertx.core.net.NetServer raw = get(vertx.createNetServer().connectHandler(socket -> {
            Buffer head = Buffer.buffer();
            socket.handler(bytes -> {
                head.appendBuffer(bytes);
                String text = head.toString();
                if (text.contains("\r\n\r\n")) {
                    String path = text.substring(text.indexOf(' ') + 1, text.indexOf(' ', text.indexOf(' ') + 1));
                    socket.write(answers.get(path)).onComplete(written -> socket.close());
                }
            });
        }).listen(0, "127.0.0.1"));
        try {
            connectedTo(raw);
            List<io.edgestack.tunnel.mux.Mux> before = directory.sessions("site").stream().map(io.edgestack.tunnel.edge.TunnelDirectory.Session::mux).toList();
            for (String path : List.of("/status", "/coding", "/huge", "/two-lengths")) {
                Answer answer = get(send(HttpMethod.GET, path, null));
                assertEquals(502, answer.status(), path + ": " + answer.body());
                assertEquals("edgestack-edge; error=http_protocol_error", answer.headers().get("Proxy-Status"), path);
            }
            Answer status = get(send(HttpMethod.GET, "/status", null));
            assertTrue(status.body().toString().contains("999 is not 100 to 599"), status.body().toString());
            Answer coding = get(send(HttpMethod.GET, "/coding", null));
            assertTrue(coding.body().toString().contains("gzip, chunked"), coding.body().toString());

            Answer fine = get(send(HttpMethod.GET, "/large", null));
            assertEquals(200, fine.status(), fine.body().toString());
            assertEquals(large, fine.headers().get("X-Large"));
            Answer named = get(send(HttpMethod.GET, "/named", null));
            assertEquals(200, named.status());
            assertEquals("k", named.headers().get("X-Kept"));
            for (String hop : List.of("X-Secret", "TE", "Keep-Alive")) {
                assertEquals(null, named.headers().get(hop), hop + " is the origin connection's own");
            }
            assertEquals(before, directory.sessions("site").stream().map(io.edgestack.tunnel.edge.TunnelDirectory.Session::mux).toList(),
                    "the tunnel connection lived on");
        } finally {
            raw.close();
        }
    }

    /**
     * 103 Early Hints go through the tunnel to the visitor before the answer (the edge says in its HELLO that it takes
     * them); an HTTP/1.0 visitor, which cannot read an interim answer, gets the answer alone.
     */
    @Test
    void passesEarlyHintsOnBeforeTheAnswer() throws Exception {
        connected(1);
        String hinted = raw("GET /hints HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertTrue(hinted.startsWith("HTTP/1.1 103 Early Hints\r\n"), hinted);
        int answer = hinted.indexOf("HTTP/1.1 200 ");
        assertTrue(answer > 0 && hinted.substring(0, answer).contains("</style.css>; rel=preload; as=style"), hinted);
        assertTrue(hinted.endsWith("hinted"), hinted);
        String old = raw("GET /hints HTTP/1.0\r\nHost: localhost\r\n\r\n");
        assertTrue(old.startsWith("HTTP/1.0 200 ") || old.startsWith("HTTP/1.1 200 "), old);
        assertTrue(old.endsWith("hinted"), old);
    }

    /**
     * An answer's trailer fields (gRPC's status) go through the tunnel and reach the visitor after the body, and the
     * visitor's {@code TE: trailers} reaches the origin (TE is hop-by-hop, but says the trailers are wanted); fields that
     * frame a message do not pass. The tunnel dropped both.
     */
    @Test
    void passesTrailerFieldsOnAfterTheBody() throws Exception {
        connected(1);
        String answer = raw("GET /trailers HTTP/1.1\r\nHost: localhost\r\nTE: trailers\r\nConnection: TE, close\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        assertTrue(answer.contains("X-Seen-TE: trailers\r\n"), answer);
        String last = answer.substring(answer.indexOf("\r\n0\r\n") + 5);
        assertTrue(last.contains("grpc-status: 0\r\n") && last.contains("X-Checksum: 5d41402a\r\n"), answer);
        assertFalse(last.contains("Content-Length"), answer);
        assertTrue(answer.endsWith("\r\n\r\n"), answer);
    }

    /**
     * A visitor's raw UTF-8 in the target goes through percent-encoded, byte for byte, as a browser sends it (the tunnel
     * carries targets as ASCII: it reached the origin as {@code ??}).
     */
    @Test
    void aTargetInRawUtf8ReachesTheOriginPercentEncoded() throws Exception {
        connected(1);
        byte[] request = "GET /hello?q=caf\u00e9&r=%41 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String answer = raw(new String(request, java.nio.charset.StandardCharsets.ISO_8859_1));
        assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
        assertTrue(answer.contains("X-Seen-Target: /hello?q=caf%C3%A9&r=%41\r\n"), answer);
    }

    /** An origin of raw sockets: {@code onRequest} runs for each piece read that completes a request head. */
    private io.vertx.core.net.NetServer rawOrigin(java.util.function.Consumer<io.vertx.core.net.NetSocket> onRequest)
            throws Exception {
        return get(vertx.createNetServer().connectHandler(socket -> socket.handler(bytes -> {
            if (bytes.toString().contains("\r\n\r\n")) {
                onRequest.accept(socket);
            }
        })).listen(0, "127.0.0.1"));
    }

    /** A connector of one connection whose only rule sends everything to {@code origin}, once registered. */
    private void connectedTo(io.vertx.core.net.NetServer origin) throws Exception {
        Ingress ingress = new Ingress(List.of(new Ingress.Rule(Optional.empty(), Optional.empty(),
                URI.create("http://127.0.0.1:" + origin.actualPort()), 0)));
        Connector connector = connector(1, token("site", List.of("localhost", "127.0.0.1")), ingress, Duration.ofSeconds(5));
        await("registered", () -> connector.registered() == 1);
    }

    @Test
    void streamsLargeBodiesBothWays() throws Exception {
        connected(2);
        byte[] upload = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(upload);
        Answer echoed = get(send(HttpMethod.POST, "/echo", Buffer.buffer(upload)));
        assertEquals(200, echoed.status());
        assertArrayEquals(upload, echoed.body().getBytes(), "the upload came back byte for byte");

        Answer big = get(send(HttpMethod.GET, "/big?size=" + (16 * 1024 * 1024), null));
        assertEquals(200, big.status());
        assertEquals(16 * 1024 * 1024, big.body().length());
    }

    @Test
    void spreadsStreamsOverTheTunnelsConnectionsAndShowsThemOnTheAdminApi() throws Exception {
        Connector connector = connected(4);
        List<Future<Answer>> answers = streamsOnEveryConnection(connector, 30);
        // Each connection on its own event loop, at both ends: one loop carried all four (and every byte) before.
        long loops = Math.min(4, io.edgestack.tunnel.mux.EventLoops.count(vertx));
        assertEquals(loops, connector.connections().stream().map(Mux::eventLoop).distinct().count(),
                "the connector's connections are spread over the event loops");
        assertEquals(loops, directory.sessions("site").stream().map(session -> session.mux().eventLoop()).distinct().count(),
                "the edge took the connections on different event loops");
        // Frames decoded without copying their payloads, at both ends (UnmaskedFramesTest shows the decoding itself).
        assertTrue(connector.connections().stream().allMatch(Mux::decodesFramesInPlace), "the connector's decoder");
        assertTrue(directory.sessions("site").stream().allMatch(session -> session.mux().decodesFramesInPlace()),
                "the edge's decoder");
        for (Future<Answer> answer : answers) {
            assertEquals(200, get(answer).status());
        }
        String admin = management.toString().replace("/q/", "/admin/tunnels");
        given().get(admin).then().statusCode(401);
        given().auth().oauth2("test-admin-token").get(admin).then().statusCode(200)
                .body("tunnels.find { it.tunnel == 'site' }.state", equalTo("up"),
                        "tunnels.find { it.tunnel == 'site' }.connections.size()", equalTo(4),
                        "tunnels.find { it.tunnel == 'site' }.connections[0].replica", equalTo("test-replica"),
                        "tunnels.find { it.tunnel == 'blog' }.state", equalTo("down"));
        await("a heartbeat round trip", () -> connector.connections().stream().allMatch(m -> m.roundTripNanos() > 0));
        String scrape = given().accept("text/plain").get(management + "metrics").asString();
        assertEquals(4.0, value(scrape, "edgestack_tunnel_ha_connections", "tunnel=\"site\""), "edge counts 4 connections");
        assertTrue(value(scrape, "edgestack_tunnel_heartbeat_rtt_seconds_count", "tunnel=\"site\"") > 0,
                "heartbeat round trips are measured");
        assertTrue(value(scrape, "edgestack_tunnel_bytes_total", "direction=\"received\"") > 0);
        assertTrue(value(scrape, "edgestack_tunnel_edge_responses_total", "code=\"200\"") >= answers.size(), "every answer counted");
    }

    /** The value of the first sample of {@code name} whose labels contain {@code label}; a sample must exist. */
    static double value(String scrape, String name, String label) {
        return scrape.lines().filter(l -> l.startsWith(name + "{") && l.contains(label))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError("no sample " + name + "{" + label + "} in:\n" + tunnelLines(scrape)));
    }

    private static String tunnelLines(String scrape) {
        return scrape.lines().filter(l -> l.startsWith("edgestack_tunnel")).collect(java.util.stream.Collectors.joining("\n"));
    }

    // ------------------------------------------------------------------ auth

    @Test
    void issuesTokensOnTheAdminApiAndTwoValidTokensWorkAtOnce() {
        String admin = management.toString().replace("/q/", "/admin/tunnels/site/tokens");
        given().contentType("application/json").body("{}").post(admin).then().statusCode(401);
        given().auth().oauth2("test-admin-token").contentType("application/json").body("{\"hosts\": [\"evil.example.com\"]}")
                .post(admin).then().statusCode(400).body("detail", containsString("evil.example.com"));
        given().auth().oauth2("test-admin-token").contentType("application/json").body("{\"ttl\": \"forever\"}")
                .post(admin).then().statusCode(400);
        given().auth().oauth2("test-admin-token").post(management.toString().replace("/q/", "/admin/tunnels/ghost/tokens"))
                .then().statusCode(404);
        String first = given().auth().oauth2("test-admin-token").contentType("application/json").body("{\"ttl\": \"2h\"}")
                .post(admin).then().statusCode(201).extract().path("token");
        String second = given().auth().oauth2("test-admin-token").post(admin).then().statusCode(201).extract().path("token");
        Connector old = connector(1, first, toOrigin(), Duration.ofSeconds(5));
        Connector rotated = connector(1, second, toOrigin(), Duration.ofSeconds(5));
        await("both tokens accepted", () -> old.registered() == 1 && rotated.registered() == 1);
        given().get(publicPort + "hello").then().statusCode(200);
    }

    @Test
    void refusesBadTokensWithAReasonOnBothSides() {
        String good = token("site", List.of("localhost"));
        String tampered = good.substring(0, good.length() - 4) + (good.endsWith("AAAA") ? "BBBB" : "AAAA");
        Connector forged = connector(1, tampered, toOrigin(), Duration.ofSeconds(5));
        Connector ghost = connector(1, token("ghost", List.of("localhost")), toOrigin(), Duration.ofSeconds(5));
        Connector greedy = connector(1, token("site", List.of("*")), toOrigin(), Duration.ofSeconds(5));
        await("three refusals seen by the connectors", () -> forged.state().get(0).getString("lastError") != null
                && ghost.state().get(0).getString("lastError") != null && greedy.state().get(0).getString("lastError") != null);
        assertTrue(forged.state().get(0).getString("lastError").contains("refused by the edge (401): token signature does not match"),
                forged.state().get(0).encode());
        assertTrue(ghost.state().get(0).getString("lastError").contains("(403): tunnel 'ghost' is not configured"));
        assertTrue(greedy.state().get(0).getString("lastError").contains("(403): token names host *"));
        assertEquals(0, forged.registered() + ghost.registered() + greedy.registered());
        String scrape = given().accept("text/plain").get(management + "metrics").asString();
        assertTrue(value(scrape, "edgestack_tunnel_auth_rejected_total", "reason=\"bad-signature\"") > 0, tunnelLines(scrape));
        assertTrue(connectorRegistry.get("edgestack.tunnel.connect.failures").tag("reason", "unknown-tunnel").counter().count() > 0,
                "the connector counts its refusals by reason");
        assertTrue(!scrape.contains(good.substring(5, 30)), "the token never shows in metrics");
        given().get(publicPort + "hello").then().statusCode(521);
    }

    // ------------------------------------------------------------------ the seed's errors

    @Test
    void answersTheSeedsStatusesWhenSomethingIsMissing() throws Exception {
        given().header("Host", "nowhere.example").get(publicPort + "hello").then().statusCode(404)
                .header("X-Request-Id", org.hamcrest.Matchers.notNullValue());
        given().get(publicPort + "hello").then().statusCode(521);

        int deadPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        Ingress ingress = new Ingress(List.of(
                new Ingress.Rule(Optional.empty(), Optional.of("/down"), URI.create("http://127.0.0.1:" + deadPort), 0),
                new Ingress.Rule(Optional.empty(), Optional.of("/gone"), null, 410),
                new Ingress.Rule(Optional.empty(), Optional.empty(), URI.create(origin.url()), 0)));
        Connector connector = connector(1, token("site", List.of("localhost", "127.0.0.1")), ingress, Duration.ofMillis(700));
        await("registered", () -> connector.registered() == 1);
        given().get(publicPort + "down/page").then().statusCode(502).header("Proxy-Status", "edgestack-edge; error=connection_refused")
                .header("X-Request-Id", org.hamcrest.Matchers.notNullValue())
                .body(containsString("cannot connect to http://127.0.0.1:" + deadPort));
        given().get(publicPort + "never").then().statusCode(504);
        given().get(publicPort + "gone").then().statusCode(410);
        given().get(publicPort + "hello").then().statusCode(200);
    }

    @Test
    void refusesARequestWithSeveralHostHeaders() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", publicPort.getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(("GET /hello HTTP/1.1\r\nHost: localhost\r\nHost: other.example\r\n"
                    + "Connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
            assertTrue(answer.contains("more than one Host header"), answer);
        }
    }

    /**
     * A target in absolute form names the host, its Host header ignored (RFC 9112 §3.2.2): the edge picks the tunnel by
     * it, and the connector's rule and the origin see that host and the target in origin form, as proxy-service does.
     */
    @Test
    void anAbsoluteFormTargetIsRoutedByItsHostAndSentOnInOriginForm() throws Exception {
        Ingress ingress = new Ingress(List.of(
                new Ingress.Rule(Optional.empty(), Optional.of("/gone"), null, 410),
                new Ingress.Rule(Optional.empty(), Optional.empty(), URI.create(origin.url()), 0)));
        Connector connector = connector(1, token("site", List.of("localhost")), ingress, Duration.ofSeconds(5));
        await("registered", () -> connector.registered() == 1);
        int port = publicPort.getPort();
        String hello = raw("GET http://localhost:" + port + "/hello?x=1 HTTP/1.1\r\nHost: nowhere.example\r\n"
                + "Connection: close\r\n\r\n");
        assertTrue(hello.startsWith("HTTP/1.1 200 "), hello);
        assertTrue(hello.contains("X-Seen-Host: localhost:" + port + "\r\n"), hello);
        assertTrue(hello.contains("X-Seen-Forwarded-Host: localhost:" + port + "\r\n"), hello);
        assertTrue(hello.contains("X-Seen-Target: /hello?x=1\r\n"), hello);
        String gone = raw("GET HTTP://LOCALHOST/gone HTTP/1.1\r\nHost: nowhere.example\r\nConnection: close\r\n\r\n");
        assertTrue(gone.startsWith("HTTP/1.1 410 "), gone); // the connector's path rule saw /gone
        String other = raw("GET http://nowhere.example/hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertTrue(other.startsWith("HTTP/1.1 404 "), other); // no tunnel for that host, whatever the Host header says
    }

    /**
     * An HTTP/2 visitor names its host in {@code :authority}, not in a Host header: the connector's host rules and the
     * origin see it all the same (without it, every HTTP/2 request matched the catch-all rule, here a 404).
     */
    @Test
    void anHttp2VisitorsHostReachesTheConnectorsRulesAndTheOrigin() throws Exception {
        Ingress ingress = new Ingress(List.of(
                new Ingress.Rule(Optional.of(io.edgestack.tunnel.config.HostPattern.parse("test", "localhost")), Optional.empty(),
                        URI.create(origin.url()), 0),
                new Ingress.Rule(Optional.empty(), Optional.empty(), null, 404)));
        Connector connector = connector(1, token("site", List.of("localhost")), ingress, Duration.ofSeconds(5));
        await("registered", () -> connector.registered() == 1);
        java.net.http.HttpClient h2c = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_2).build();
        URI hello = URI.create("http://localhost:" + publicPort.getPort() + "/hello");
        for (int i = 0; i < 2; i++) { // the first goes as HTTP/1.1 asking to upgrade, the second over HTTP/2 itself
            java.net.http.HttpResponse<String> answer = h2c.send(java.net.http.HttpRequest.newBuilder(hello).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), answer.version() + ": " + answer.body());
            assertEquals("localhost:" + publicPort.getPort(), answer.headers().firstValue("X-Seen-Host").orElse(null));
            if (i == 1) {
                assertEquals(java.net.http.HttpClient.Version.HTTP_2, answer.version());
            }
        }
    }

    /**
     * A Transfer-Encoding without chunked last leaves the body's length unknown (Netty read no body, and the body's bytes
     * as the next request); another coding before chunked cannot be undone: 400 and 501, the connection closed, nothing
     * sent to the origin (RFC 9112 §6.1, §6.3; as nginx and Go's server).
     */
    @Test
    void refusesTransferCodingsOtherThanChunked() throws Exception {
        connected(1);
        String smuggled = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n";
        String gzip = raw("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n" + smuggled);
        assertTrue(gzip.startsWith("HTTP/1.1 400 "), gzip);
        assertTrue(!gzip.contains("hello from the origin"), "the body is not read as a request: " + gzip);
        String both = raw("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n");
        assertTrue(both.startsWith("HTTP/1.1 501 "), both);
        assertTrue(!both.contains("\r\n\r\nhello"), both);
    }

    /**
     * A target that is not a path: {@code OPTIONS *} is answered 200 with no body, as Go's server (Caddy) answers it,
     * and {@code CONNECT} gets the edge's own 400 page; both with a request id (Vert.x Web's plain 404 before).
     */
    @Test
    void answersOptionsStarAndRefusesConnectWithItsOwnAnswers() throws Exception {
        connected(1);
        String options = raw("OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertTrue(options.startsWith("HTTP/1.1 200 "), options);
        assertTrue(options.toLowerCase(java.util.Locale.ROOT).contains("\r\ncontent-length: 0\r\n"), options);
        assertTrue(options.contains("\r\nX-Request-Id: "), options);
        String connect = raw("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\nConnection: close\r\n\r\n");
        assertTrue(connect.startsWith("HTTP/1.1 400 "), connect);
        assertTrue(connect.contains("\r\nX-Request-Id: "), connect);
        assertTrue(connect.contains("not a forward proxy"), connect);
        // a request line over the limit: HTTP/1.1 414 with a reason (Vert.x said HTTP/1.0, with an empty body)
        String line = raw("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertTrue(line.startsWith("HTTP/1.1 414 ") && line.contains("\r\nX-Request-Id: ") && line.contains("request line"), line);
    }

    /**
     * Over HTTP/2 a body need not be announced (no Content-Length, and no Transfer-Encoding in HTTP/2): an upload of
     * unknown length reaches the origin whole, as one with a length does.
     */
    @Test
    void anHttp2UploadOfUnknownLengthReachesTheOrigin() throws Exception {
        connected(1);
        java.net.http.HttpClient h2c = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_2).build();
        URI base = URI.create("http://localhost:" + publicPort.getPort());
        h2c.send(java.net.http.HttpRequest.newBuilder(base.resolve("/hello")).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
        byte[] upload = new byte[300_000];
        new Random(3).nextBytes(upload);
        java.net.http.HttpResponse<byte[]> echoed = h2c.send(java.net.http.HttpRequest.newBuilder(base.resolve("/echo"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(upload)))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(java.net.http.HttpClient.Version.HTTP_2, echoed.version());
        assertEquals(200, echoed.statusCode());
        assertArrayEquals(upload, echoed.body(), "the upload came back byte for byte");
    }

    /**
     * Behind a trusted load balancer (edgestack.tunnel.edge.trusted-proxies, 127.0.0.2 in tests) the visitor is the
     * address it forwarded, and the scheme the one it says; from anyone else both are replaced (they reached the origin
     * as the load balancer's address, for every visitor).
     */
    @Test
    void believesTheForwardingHeadersOfATrustedLoadBalancerOnly() throws Exception {
        connected(1);
        String request = "GET /hello HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: 198.51.100.1, 203.0.113.9\r\n"
                + "X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n";
        String balanced;
        try (Socket socket = new Socket("127.0.0.1", publicPort.getPort(), java.net.InetAddress.getByName("127.0.0.2"), 0)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            balanced = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        assertTrue(balanced.startsWith("HTTP/1.1 200 "), balanced);
        assertTrue(balanced.contains("X-Seen-Forwarded-For: 203.0.113.9\r\n"), balanced);
        assertTrue(balanced.contains("X-Seen-Forwarded-Proto: https\r\n"), balanced);
        String direct = raw(request);
        assertTrue(direct.contains("X-Seen-Forwarded-For: 127.0.0.1\r\n"), direct);
        assertTrue(direct.contains("X-Seen-Forwarded-Proto: http\r\n"), direct);
    }

    /** {@code request} written on a new connection to the public port; all it reads until the edge closes it. */
    private String raw(String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", publicPort.getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aVisitorThatAsksToContinueIsToldToSendItsBody() throws Exception {
        connected(1);
        try (Socket socket = new Socket("127.0.0.1", publicPort.getPort())) {
            socket.setSoTimeout(10_000);
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            socket.getOutputStream().write(("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals("HTTP/1.1 100 Continue", in.readLine(), "before the body is sent (curl waits a second for it)");
            assertEquals("", in.readLine());
            socket.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            assertEquals("HTTP/1.1 200 OK", in.readLine());
            StringBuilder rest = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null && !line.equals("0")) {
                rest.append(line).append('\n');
            }
            assertTrue(rest.toString().contains("\nhello\n"), "the body went through: " + rest);
        }
    }

    @Test
    void answersABodyWithBrokenChunkedFramingWith400AndEndsItsStream() throws Exception {
        Connector connector = connected(1);
        Mux mux = connector.connections().get(0);
        for (String body : List.of("ZZZ\r\nhello\r\n0\r\n\r\n", "5\r\nhello\r\nZZZ\r\n", "5\r\nhelloXX\r\n0\r\n\r\n",
                "5\r\nhello\r\n0\r\nno colon here\r\n\r\n")) {
            try (Socket socket = new Socket("127.0.0.1", publicPort.getPort())) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + body).getBytes(StandardCharsets.US_ASCII));
                // the whole answer, then the close (readAllBytes returns): Vert.x dropped the connection without one
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(answer.startsWith("HTTP/1.1 400 "), body + ": " + answer);
                assertTrue(answer.contains("not valid chunked transfer coding"), answer);
            }
        }
        await("the broken bodies' streams ended", () -> mux.activeStreams() == 0 && edgeStreams() == 0);
        given().get(publicPort + "hello").then().statusCode(200);
    }

    // ------------------------------------------------------------------ high availability and flow control

    @Test
    void aCutConnectionFailsOnlyItsOwnStreams() throws Exception {
        Connector connector = connected(4);
        List<Future<Answer>> answers = streamsOnEveryConnection(connector, 30);
        int streams = answers.size();
        Mux cut = connector.connections().get(0);
        int onCut = cut.activeStreams();
        cut.close("cut by the test");
        int ok = 0;
        int failed = 0;
        for (Future<Answer> answer : answers) {
            try {
                Answer a = get(answer);
                if (a.status() == 200 && a.body().toString().split("\n").length == 30) {
                    ok++;
                } else {
                    failed++;
                }
            } catch (Exception broken) {
                failed++;
            }
        }
        assertEquals(onCut, failed, "exactly the streams of the cut connection failed");
        assertEquals(streams - onCut, ok);
        given().get(publicPort + "hello").then().statusCode(200);
        await("the cut connection comes back", () -> connector.registered() == 4);
    }

    @Test
    void publishesConnectorUpAndDownEvents() throws Exception {
        List<io.vertx.core.json.JsonObject> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        var up = vertx.eventBus().<io.vertx.core.json.JsonObject>consumer(ConnectorListener.UP, m -> events.add(m.body().put("kind", "up")));
        var down = vertx.eventBus().<io.vertx.core.json.JsonObject>consumer(ConnectorListener.DOWN, m -> events.add(m.body().put("kind", "down")));
        try {
            Connector connector = connected(2);
            await("two up events", () -> events.size() == 2);
            for (io.vertx.core.json.JsonObject event : events) {
                assertEquals("site", event.getString("tunnel"), event.encode());
                assertEquals("test-replica", event.getString("replica"), event.encode());
            }
            // The two connections register on their own event loops, so their events may arrive in either order;
            // the one registered second counts both.
            assertEquals(2, events.stream().mapToInt(e -> e.getInteger("connections")).max().getAsInt(), events.toString());
            connector.connections().get(0).close("cut by the test");
            await("a down event", () -> events.stream().anyMatch(e -> e.getString("kind").equals("down")));
            io.vertx.core.json.JsonObject lost = events.stream().filter(e -> e.getString("kind").equals("down")).findFirst().get();
            assertTrue(lost.getString("reason").contains("cut by the test"), lost.encode());
            assertEquals(1, lost.getInteger("version"));
        } finally {
            up.unregister();
            down.unregister();
        }
    }

    @Test
    void aStoppingConnectorFinishesItsStreamsButTakesNoNewOnes() throws Exception {
        Connector connector = connected(1);
        Future<Answer> inFlight = send(HttpMethod.GET, "/trickle?chunks=10", null);
        await("the stream is in flight", () -> connector.connections().get(0).activeStreams() > 0);
        Future<Void> stopped = connector.stop();
        connectors.remove(connector);
        await("the edge stops choosing the connection", () -> given().get(publicPort + "hello").statusCode() == 521);
        Answer answer = get(inFlight);
        assertEquals(200, answer.status());
        assertEquals(10, answer.body().toString().split("\n").length, "the in-flight download finished whole");
        get(stopped);
    }

    @Test
    void oneSlowReaderDoesNotStallNinetyNineOtherStreams() throws Exception {
        connected(1);
        // The slow reader: asks for 32 MiB and reads nothing for now.
        try (Socket slow = new Socket()) {
            slow.setReceiveBufferSize(64 * 1024); // before connecting: shrinking it on an open socket stalls Linux TCP
            slow.connect(new java.net.InetSocketAddress("127.0.0.1", publicPort.getPort()));
            OutputStream out = slow.getOutputStream();
            out.write(("GET /big?size=" + (32 * 1024 * 1024) + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(300);
            List<CompletableFuture<Answer>> others = new ArrayList<>();
            for (int i = 0; i < 99; i++) {
                others.add(send(HttpMethod.GET, i % 3 == 0 ? "/big?size=200000" : "/hello", null).toCompletionStage().toCompletableFuture());
            }
            CompletableFuture.allOf(others.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
            for (CompletableFuture<Answer> other : others) {
                assertEquals(200, other.get().status());
            }
            // and the slow reader still gets all of its bytes once it reads
            InputStream in = slow.getInputStream();
            byte[] buffer = new byte[256 * 1024];
            long total = 0;
            int n;
            boolean headersDone = false;
            StringBuilder head = new StringBuilder();
            while (total < 32 * 1024 * 1024 && (n = in.read(buffer)) > 0) {
                if (!headersDone) {
                    head.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                    int end = head.indexOf("\r\n\r\n");
                    if (end >= 0) {
                        headersDone = true;
                        total = head.length() - end - 4;
                    }
                } else {
                    total += n;
                }
            }
            assertEquals(32 * 1024 * 1024, total);
        }
    }

    /**
     * Body bytes cross the tunnel in the connections' reference-counted read buffers, not copies: each must be released
     * once written on, whether its stream ended well, its visitor left mid-answer, its origin was down or silent with an
     * upload queued, its answer came from a status rule that never reads the upload, or its connection was cut. Netty's
     * leak detector, tracking every buffer here, names any that were not (pooled direct memory: the edge's reads of its
     * tunnel connections, the connector's reads of its origin; the connectors built in this JVM read their tunnel
     * connections into plain heap buffers, which it does not track). Every stream must end, too.
     */
    @Test
    void anUploadCutShortByAFailedStreamIsReadToItsEndAndItsConnectionServesOn() throws Exception {
        // A POST whose origin is down: the stream is reset while the upload still comes, paused at the tunnel's window.
        // The visitor gets its 502 and the rest of its upload is read and dropped; then a keep-alive connection serves
        // the next request, and one that asked to close is closed once all is read, not while the visitor still sends
        // (its system answers such a close with a reset, which may overtake the 502). Before: the upload stayed paused
        // for good (the reset stream never drained), the keep-alive connection with it; the other was closed at once.
        int deadPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        Ingress ingress = new Ingress(List.of(
                new Ingress.Rule(Optional.empty(), Optional.of("/down"), URI.create("http://127.0.0.1:" + deadPort), 0),
                new Ingress.Rule(Optional.empty(), Optional.empty(), URI.create(origin.url()), 0)));
        Connector connector = connector(1, token("site", List.of("localhost", "127.0.0.1")), ingress, Duration.ofSeconds(5));
        await("registered", () -> connector.registered() == 1);
        int size = 8 * 1024 * 1024; // under quarkus.http.limits.max-body-size (10 MiB), far over the tunnel's window
        for (boolean close : new boolean[] {false, true}) {
            try (Socket visitor = new Socket("127.0.0.1", publicPort.getPort())) {
                visitor.setSoTimeout(10_000);
                InputStream in = visitor.getInputStream();
                String answer = io.edgestack.testkit.RawAnswer.afterUpload(visitor,
                        "POST /down/upload HTTP/1.1\r\nHost: localhost\r\n" + (close ? "Connection: close\r\n" : ""), size);
                assertTrue(answer.startsWith("HTTP/1.1 502 "), answer);
                if (close) {
                    assertEquals(-1, in.read(), "closed once the upload was read");
                } else {
                    visitor.getOutputStream().write("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    String next = io.edgestack.testkit.RawAnswer.read(in);
                    assertTrue(next.startsWith("HTTP/1.1 200 "), next);
                }
            }
        }
    }

    @Test
    void bodyBuffersAreReleasedWhetherStreamsEndWellOrBreak() throws Exception {
        List<String> leaks = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler watch = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                if (String.valueOf(record.getMessage()).contains("LEAK")) {
                    leaks.add(record.getLoggerName() + ": " + record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        io.netty.util.ResourceLeakDetector.Level level = io.netty.util.ResourceLeakDetector.getLevel();
        io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.PARANOID);
        root.addHandler(watch);
        try {
            int deadPort;
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
                deadPort = socket.getLocalPort();
            }
            // An origin that takes TCP connections and never answers a TLS handshake: a request to it waits for its
            // connection while its upload piles up at the connector, until the visitor gives up.
            io.vertx.core.net.NetServer silent = get(vertx.createNetServer().connectHandler(socket -> socket.handler(b -> { }))
                    .listen(0, "127.0.0.1"));
            Ingress ingress = new Ingress(List.of(
                    new Ingress.Rule(Optional.empty(), Optional.of("/down"), URI.create("http://127.0.0.1:" + deadPort), 0),
                    new Ingress.Rule(Optional.empty(), Optional.of("/silent"), URI.create("https://127.0.0.1:" + silent.actualPort()), 0),
                    new Ingress.Rule(Optional.empty(), Optional.of("/gone"), null, 410),
                    new Ingress.Rule(Optional.empty(), Optional.empty(), URI.create(origin.url()), 0)));
            Connector connector = connector(2, token("site", List.of("localhost", "127.0.0.1")), ingress, Duration.ofSeconds(5));
            await("registered", () -> connector.registered() == 2);
            byte[] upload = new byte[2 * 1024 * 1024 + 5];
            new Random(11).nextBytes(upload);
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(upload, get(send(HttpMethod.POST, "/echo", Buffer.buffer(upload))).body().getBytes());
                assertEquals(4 * 1024 * 1024, get(send(HttpMethod.GET, "/big?size=" + (4 * 1024 * 1024), null)).body().length());
                assertEquals(502, get(send(HttpMethod.POST, "/down/upload", Buffer.buffer(upload))).status());
                // an ingress status rule answers without reading the upload: the rest is read and dropped
                assertEquals(410, get(send(HttpMethod.POST, "/gone", Buffer.buffer(upload))).status());
                try (Socket giving = new Socket("127.0.0.1", publicPort.getPort())) {
                    giving.getOutputStream().write(("POST /silent/upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
                            + upload.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    giving.getOutputStream().write(upload, 0, 512 * 1024);
                    Thread.sleep(200);
                }
            }
            for (int i = 0; i < 4; i++) { // visitors that leave mid-answer
                try (Socket leaving = new Socket("127.0.0.1", publicPort.getPort())) {
                    leaving.getOutputStream().write(("GET /big?size=" + (16 * 1024 * 1024) + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    leaving.getInputStream().readNBytes(300 * 1024);
                }
            }
            List<Future<Answer>> cutShort = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                cutShort.add(send(HttpMethod.GET, "/big?size=" + (8 * 1024 * 1024), null));
            }
            await("downloads on both connections", () -> connector.connections().stream().allMatch(m -> m.activeStreams() > 0));
            connector.connections().get(0).close("cut by the test");
            for (Future<Answer> answer : cutShort) {
                try {
                    get(answer);
                } catch (Exception broken) {
                    // the cut connection's streams fail; the others finish
                }
            }
            await("no stream left", () -> connector.connections().stream().mapToInt(Mux::activeStreams).sum() == 0);
            for (int i = 0; i < 5 && leaks.isEmpty(); i++) {
                System.gc();
                Thread.sleep(100);
                // the detector reports what the collector found when the next buffers are tracked
                for (int j = 0; j < 100; j++) {
                    io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(64).release();
                }
                get(send(HttpMethod.GET, "/big?size=200000", null));
            }
            assertEquals(List.of(), leaks);
            silent.close();
        } finally {
            root.removeHandler(watch);
            io.netty.util.ResourceLeakDetector.setLevel(level);
        }
    }

    @Test
    void carriesWebSocketUpgradesToTheOrigin() throws Exception {
        connected(1);
        WebSocketClient client = vertx.createWebSocketClient();
        WebSocket ws = get(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(publicPort.getPort())
                .setURI("/ws").addHeader("Host", "localhost")));
        CompletableFuture<String> reply = new CompletableFuture<>();
        ws.textMessageHandler(reply::complete);
        ws.writeTextMessage("ping through the tunnel");
        assertEquals("echo: ping through the tunnel", reply.get(10, TimeUnit.SECONDS));
        get(ws.close());
        client.close();
    }

    /**
     * A WebSocket visitor may send far more than one window (1 MiB) to the origin: the connector gives the bytes back
     * as the origin takes them. Through Vert.x's upgraded client socket, whose writes never say they are done, the
     * window never came back and the visitor's socket stalled for good after 1 MiB.
     */
    @Test
    void aWebSocketVisitorMaySendMoreThanTheTunnelsWindow() throws Exception {
        connected(1);
        WebSocketClient client = vertx.createWebSocketClient();
        try {
            byte[] bytes = new byte[3 << 20];
            new Random(3).nextBytes(bytes);
            WebSocket ws = get(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(publicPort.getPort())
                    .setURI("/ws").addHeader("Host", "localhost")));
            assertArrayEquals(bytes, echoed(ws, bytes));
            get(ws.close());
        } finally {
            client.close();
        }
    }

    /**
     * The visitor's first message, sent the moment the 101 arrives, reaches the origin every time. The edge made the
     * visitor's socket from the tunnel connection's event loop, and about one upgrade in 500 the socket read that message
     * before the pipe's handler was on it and dropped it (this test lost one in 300 to 1,500 upgrades, the suite once in
     * a CI run).
     */
    @Test
    void aVisitorThatSpeaksAsSoonAsItHasThe101LosesNothing() throws Exception {
        connected(1);
        WebSocketClient client = vertx.createWebSocketClient();
        for (int i = 0; i < 1000; i++) {
            java.util.concurrent.BlockingQueue<String> messages = new java.util.concurrent.LinkedBlockingQueue<>();
            // the handler set as the socket is handed over (from this thread, the echo might come first)
            WebSocket ws = get(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(publicPort.getPort())
                    .setURI("/ws").addHeader("Host", "localhost")).onSuccess(socket -> socket.textMessageHandler(messages::add)));
            ws.writeTextMessage("first words " + i);
            assertEquals("echo: first words " + i, messages.poll(10, TimeUnit.SECONDS), "upgrade " + i);
            get(ws.close());
        }
        client.close();
    }

    @Test
    void anOriginThatSpeaksFirstAfterTheUpgradeLosesNothing() throws Exception {
        connected(1);
        WebSocketClient client = vertx.createWebSocketClient();
        for (int i = 0; i < 20; i++) {
            java.util.concurrent.BlockingQueue<String> messages = new java.util.concurrent.LinkedBlockingQueue<>();
            // the handler set as the socket is handed over, on its event loop (set later, from this thread, the
            // client's own WebSocket may have dropped the greeting already)
            WebSocket ws = get(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(publicPort.getPort())
                    .setURI("/ws-greets").addHeader("Host", "localhost")).onSuccess(socket -> socket.textMessageHandler(messages::add)));
            assertEquals("hello from the origin", messages.poll(10, TimeUnit.SECONDS), "greeting of connection " + i);
            ws.writeTextMessage("and then " + i);
            assertEquals("echo: and then " + i, messages.poll(10, TimeUnit.SECONDS));
            get(ws.close());
        }
        client.close();
    }

    // ------------------------------------------------------------------ bad input from a connector

    private record Closed(short status, String reason) {
    }

    private Closed sendAsConnector(List<Buffer> messages) throws Exception {
        return sendAsConnector(ws -> messages.forEach(ws::writeBinaryMessage));
    }

    private Closed sendAsConnector(java.util.function.Consumer<WebSocket> writer) throws Exception {
        WebSocketClient client = vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions()
                .setMaxFrameSize(1024 * 1024).setMaxMessageSize(1024 * 1024));
        WebSocket ws = get(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(listener.boundPort())
                .setURI("/v1/connect").addHeader("Authorization", "Bearer " + token("site", List.of("localhost")))));
        CompletableFuture<Closed> closed = new CompletableFuture<>();
        ws.closeHandler(v -> closed.complete(new Closed(ws.closeStatusCode() == null ? -1 : ws.closeStatusCode(), ws.closeReason())));
        ws.binaryMessageHandler(b -> { });
        writer.accept(ws);
        Closed result = closed.get(10, TimeUnit.SECONDS);
        client.close();
        return result;
    }

    @Test
    void closesAConnectorConnectionThatBreaksTheProtocolAndNoOther() throws Exception {
        Connector healthy = connected(1);
        record Case(String name, List<Buffer> frames, String reason) {
        }
        List<Buffer> flood = new ArrayList<>();
        for (int i = 0; i < 2100; i++) {
            flood.add(Frame.of(FrameType.PING, 0, 0, Buffer.buffer(8).appendLong(i)).encode());
        }
        List<Case> cases = List.of(
                new Case("short", List.of(Buffer.buffer(new byte[] {1, 2, 3})), "shorter than its 6-byte header"),
                new Case("unknown type", List.of(Buffer.buffer(new byte[] {0x7f, 0, 0, 0, 0, 1})), "unknown frame type"),
                new Case("unknown stream", List.of(Frame.of(FrameType.DATA, 0, 99, Buffer.buffer("x")).encode()), "never opened"),
                new Case("OPEN from a connector", List.of(Frame.of(FrameType.OPEN, 0, 1, Buffer.buffer()).encode()),
                        "may only come from the edge"),
                new Case("oversized", List.of(Buffer.buffer(new byte[Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD + 1])), ""),
                new Case("flood", flood, "frame flood"));
        for (Case c : cases) {
            Closed closed = sendAsConnector(c.frames());
            assertTrue(closed.status() != 1000, c.name() + ": closed as an error, was " + closed);
            assertTrue(closed.reason() == null || closed.reason().contains(c.reason()), c.name() + ": " + closed);
        }
        // WebSocket-level mistakes: a text message; a fragmented message gathered past one tunnel frame's size. A
        // fragmented message within it is one tunnel frame (here a DATA frame on a stream never opened).
        Buffer unknownStream = Frame.of(FrameType.DATA, 0, 99, Buffer.buffer("fragmented")).encode();
        List<java.util.Map.Entry<String, java.util.function.Consumer<WebSocket>>> wsCases = List.of(
                java.util.Map.entry("text message on a tunnel connection", ws -> ws.writeTextMessage("hello")),
                java.util.Map.entry("fragmented message larger than", ws -> {
                    ws.writeFrame(io.vertx.core.http.WebSocketFrame.binaryFrame(Buffer.buffer(new byte[40_000]), false));
                    ws.writeFrame(io.vertx.core.http.WebSocketFrame.continuationFrame(Buffer.buffer(new byte[40_000]), true));
                }),
                java.util.Map.entry("never opened", ws -> {
                    ws.writeFrame(io.vertx.core.http.WebSocketFrame.binaryFrame(unknownStream.slice(0, 4), false));
                    ws.writeFrame(io.vertx.core.http.WebSocketFrame.continuationFrame(unknownStream.slice(4, 9), false));
                    ws.writeFrame(io.vertx.core.http.WebSocketFrame.continuationFrame(
                            unknownStream.slice(9, unknownStream.length()), true));
                }));
        for (var c : wsCases) {
            Closed closed = sendAsConnector(c.getValue());
            assertTrue(closed.status() != 1000 && closed.reason() != null && closed.reason().contains(c.getKey()),
                    c.getKey() + ": " + closed);
        }
        assertEquals(1, healthy.registered(), "the well-behaved connection was not touched");
        given().get(publicPort + "hello").then().statusCode(200);
    }

    @Test
    void aStreamEndsWithItsAnswerWhenNothingMoreWillComeFromTheVisitor() throws Exception {
        Connector connector = connected(1);
        Mux mux = connector.connections().get(0);
        // An upgrade the origin answers without 101 (no WebSocket at /hello): the stream ends with the answer while the
        // visitor keeps its connection; it stayed in flight for as long as the connection lasted.
        try (Socket visitor = new Socket("127.0.0.1", publicPort.getPort())) {
            visitor.setSoTimeout(5000);
            visitor.getOutputStream().write(("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n"
                    + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String status = readLine(visitor.getInputStream());
            assertFalse(status.contains(" 101 "), status);
            await("the refused upgrade's stream ended, connection kept", () -> mux.activeStreams() == 0 && edgeStreams() == 0);
        }
        // A body the origin answers before it ends (404 at once), then the visitor goes away mid-body: the answer was
        // over, so its close was not seen, and the stream stayed in flight for good.
        try (Socket visitor = new Socket("127.0.0.1", publicPort.getPort())) {
            visitor.setSoTimeout(5000);
            visitor.getOutputStream().write(("POST /not-here HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n").getBytes(StandardCharsets.US_ASCII));
            String status = readLine(visitor.getInputStream());
            assertTrue(status.contains(" 404 "), status);
        }
        await("the early-answered stream ended", () -> mux.activeStreams() == 0 && edgeStreams() == 0);
        given().get(publicPort + "hello").then().statusCode(200);
    }

    private double edgeStreams() {
        String scrape = given().accept("text/plain").get(management + "metrics").asString();
        // the edge's gauge of tunnel site's streams ({tunnel="site",} in this text format), which must be there: a
        // missing line would read as 0
        String line = scrape.lines().filter(l -> l.startsWith("edgestack_tunnel_streams_active{tunnel=\"site\""))
                .findFirst().orElseThrow(() -> new AssertionError("no edgestack_tunnel_streams_active of site in:\n" + scrape));
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    private static String readLine(InputStream in) throws java.io.IOException {
        StringBuilder line = new StringBuilder();
        for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
            line.append((char) b);
        }
        return line.toString();
    }

    @Test
    void closesAConnectionThatNeverFinishesItsHandshake() throws Exception {
        try (Socket loris = new Socket("127.0.0.1", listener.boundPort())) {
            loris.getOutputStream().write("GET /v1/connect HTTP/1.1\r\nHost: edge\r\n".getBytes(StandardCharsets.US_ASCII));
            loris.setSoTimeout(5000);
            long started = System.nanoTime();
            int read = loris.getInputStream().read();
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertEquals(-1, read, "the edge closed the connection");
            assertTrue(waited >= 800 && waited < 4000, "closed after the handshake timeout (1 s; idle 2 s), took " + waited + " ms");
        }
    }

    // ------------------------------------------------------------------ TCP services (cloudflared's tcp:// and ssh://)

    private Connector tcpServices(int echoPort, int deadPort) {
        java.util.function.Function<String, Optional<io.edgestack.tunnel.config.HostPattern>> host =
                name -> Optional.of(io.edgestack.tunnel.config.HostPattern.parse("k", name));
        URI echo = URI.create("tcp://127.0.0.1:" + echoPort);
        Ingress ingress = new Ingress(List.of(
                new Ingress.Rule(host.apply("db.test"), Optional.empty(), echo, 0, null, null, null),
                new Ingress.Rule(host.apply("locked.test"), Optional.empty(), echo, 0, null, null, "open-sesame"),
                new Ingress.Rule(host.apply("gone.test"), Optional.empty(), URI.create("tcp://127.0.0.1:" + deadPort), 0, null, null, null),
                new Ingress.Rule(Optional.empty(), Optional.empty(), URI.create(origin.url()), 0)));
        Connector connector = connector(1, token("tcp", List.of("db.test", "locked.test", "gone.test")), ingress, Duration.ofSeconds(5));
        await("the connector registered", () -> connector.registered() == 1);
        return connector;
    }

    private Future<WebSocket> tcpSocket(WebSocketClient client, String host, String... headers) {
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(publicPort.getPort())
                .setURI("/").addHeader("Host", host);
        for (int i = 0; i < headers.length; i += 2) {
            options.addHeader(headers[i], headers[i + 1]);
        }
        return client.connect(options);
    }

    private static int refusedWith(Future<WebSocket> attempt) throws Exception {
        try {
            get(attempt).close();
            throw new AssertionError("the WebSocket was accepted");
        } catch (java.util.concurrent.ExecutionException e) {
            assertTrue(e.getCause() instanceof io.vertx.core.http.UpgradeRejectedException, String.valueOf(e.getCause()));
            return ((io.vertx.core.http.UpgradeRejectedException) e.getCause()).getStatus();
        }
    }

    /** Sends {@code bytes} in binary messages of 16 KiB and returns what comes back once as many bytes came. */
    private static byte[] echoed(WebSocket ws, byte[] bytes) throws Exception {
        Buffer received = Buffer.buffer();
        CompletableFuture<byte[]> all = new CompletableFuture<>();
        ws.binaryMessageHandler(piece -> {
            received.appendBuffer(piece);
            if (received.length() >= bytes.length) {
                all.complete(received.getBytes());
            }
        });
        for (int at = 0; at < bytes.length; at += 16384) {
            get(ws.writeBinaryMessage(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + 16384)))));
        }
        try {
            return all.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("received " + received.length() + " of " + bytes.length, e);
        }
    }

    /**
     * A connector rule with a {@code tcp://} service carries a TCP connection in a WebSocket, as cloudflared's: the bytes
     * of binary messages reach the service and its bytes come back (1 MiB of random bytes through an echo service,
     * identical); a rule's access token is asked for (bearer, or cloudflared's service token secret); a refused service
     * is a 502; a plain request is told how to connect.
     */
    @Test
    void carriesATcpServiceInsideAWebSocketAsCloudflaredsTcpIngress() throws Exception {
        io.vertx.core.net.NetServer echo = get(vertx.createNetServer().connectHandler(socket -> socket.pipeTo(socket))
                .listen(0, "127.0.0.1"));
        int deadPort;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            deadPort = free.getLocalPort();
        }
        tcpServices(echo.actualPort(), deadPort);
        WebSocketClient client = vertx.createWebSocketClient();
        try {
            byte[] bytes = new byte[1 << 20];
            new Random(7).nextBytes(bytes);
            WebSocket ws = get(tcpSocket(client, "db.test"));
            assertArrayEquals(bytes, echoed(ws, bytes));
            CompletableFuture<Void> closed = new CompletableFuture<>();
            ws.closeHandler(v -> closed.complete(null));
            get(ws.close());
            closed.get(10, TimeUnit.SECONDS);

            assertEquals(401, refusedWith(tcpSocket(client, "locked.test")));
            assertEquals(401, refusedWith(tcpSocket(client, "locked.test", "Authorization", "Bearer open-sesame!")));
            byte[] hello = "hello through the tunnel".getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(hello, echoed(get(tcpSocket(client, "locked.test", "Authorization", "Bearer open-sesame")), hello));
            assertArrayEquals(hello, echoed(get(tcpSocket(client, "locked.test", "Cf-Access-Client-Id", "ci.access",
                    "Cf-Access-Client-Secret", "open-sesame")), hello));

            assertEquals(502, refusedWith(tcpSocket(client, "gone.test")), "the service refused the connection");

            RequestOptions plain = new RequestOptions().setHost("127.0.0.1").setPort(publicPort.getPort()).setURI("/")
                    .putHeader("Host", "db.test");
            Answer answer = get(visitors.request(plain).compose(r -> r.send())
                    .compose(r -> r.body().map(b -> new Answer(r.statusCode(), b, r.headers()))));
            assertEquals(400, answer.status());
            assertTrue(answer.body().toString().contains("edgestack access tcp --hostname db.test --url 127.0.0.1:"),
                    answer.body().toString());
        } finally {
            client.close();
            echo.close();
        }
    }

    private static Process accessClient(String... args) throws java.io.IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                Path.of("..", "bin", "lib", "AccessTcp.java").toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).start();
    }

    /**
     * bin/edgestack access tcp and access ssh, the visitor's end (as cloudflared access): a local port whose
     * connections reach the service, and standard input and output for ssh's ProxyCommand; a wrong token is reported.
     */
    @Test
    void theAccessCommandCarriesALocalPortOrItsStandardStreamsToTheService(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        io.vertx.core.net.NetServer echo = get(vertx.createNetServer().connectHandler(socket -> socket.pipeTo(socket))
                .listen(0, "127.0.0.1"));
        tcpServices(echo.actualPort(), 1);
        Path token = java.nio.file.Files.writeString(dir.resolve("token"), "open-sesame\n");
        String edge = "http://127.0.0.1:" + publicPort.getPort();
        Process listening = accessClient("tcp", "--hostname", "locked.test", "--url", "127.0.0.1:0", "--edge", edge,
                "--token-file", token.toString());
        try {
            java.io.BufferedReader log = new java.io.BufferedReader(new java.io.InputStreamReader(listening.getErrorStream(),
                    StandardCharsets.UTF_8));
            String line = log.readLine();
            java.util.regex.Matcher port = java.util.regex.Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)")
                    .matcher(String.valueOf(line));
            assertTrue(port.find(), line);
            for (int i = 0; i < 3; i++) { // one WebSocket per local connection
                try (Socket local = new Socket("127.0.0.1", Integer.parseInt(port.group(1)))) {
                    byte[] bytes = new byte[300_000];
                    new Random(i).nextBytes(bytes);
                    CompletableFuture.runAsync(() -> {
                        try {
                            local.getOutputStream().write(bytes);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    local.setSoTimeout(20_000);
                    assertArrayEquals(bytes, local.getInputStream().readNBytes(bytes.length), "connection " + i);
                }
            }
        } finally {
            listening.destroy();
        }

        Process ssh = accessClient("ssh", "--hostname", "locked.test", "--edge", edge, "--token-file", token.toString());
        byte[] greeting = "SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.UTF_8);
        ssh.getOutputStream().write(greeting);
        ssh.getOutputStream().flush();
        assertArrayEquals(greeting, ssh.getInputStream().readNBytes(greeting.length));
        ssh.getOutputStream().close();
        assertTrue(ssh.waitFor(20, TimeUnit.SECONDS), "access ssh ends with its standard input");
        assertEquals(0, ssh.exitValue());

        Process refused = accessClient("ssh", "--hostname", "locked.test", "--edge", edge);
        refused.getOutputStream().close();
        assertTrue(refused.waitFor(20, TimeUnit.SECONDS));
        String error = new String(refused.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, refused.exitValue(), error);
        assertTrue(error.contains("locked.test through " + edge + ": refused with HTTP 401"), error);
        echo.close();
    }
}
