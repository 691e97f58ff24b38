package io.edgestack.tunnel.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpServer;

/**
 * The packaged service as two real processes, an edge and a connector, in front of a real origin: requests through,
 * the edge restarted under the connector (it comes back by itself, with growing delays while the edge is away), a
 * wrong token refused on both sides, 521 without a connector and 502 without an origin.
 */
class TunnelProcessesIT {

    private static final String SECRET = "it-secret-0123456789-0123456789-0123456789";
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Process> processes = new ArrayList<>();
    private final java.util.Set<Integer> handedOut = new java.util.HashSet<>();
    @TempDir
    Path dir;

    @AfterEach
    void stopAll() {
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void carriesTrafficSurvivesAnEdgeRestartAndRefusesAWrongToken() throws Exception {
        int originPort = freePort();
        HttpServer origin = origin(originPort, path -> "origin saw " + path);
        int publicPort = freePort();
        int listenerPort = freePort();
        int edgeManagement = freePort();

        Process edge = edge(publicPort, listenerPort, edgeManagement, "edge-1.log");
        awaitStatus("http://127.0.0.1:" + edgeManagement + "/q/health/ready", 200);
        String token = issueToken(edgeManagement);
        HttpResponse<String> early = get(publicPort, "/page");
        assertEquals(521, early.statusCode(), "no connector yet: 521, got " + early.headers().map() + " " + early.body());

        int connectorManagement = freePort();
        Path connectorLog = dir.resolve("connector.log");
        connector(listenerPort, connectorManagement, token, "http://127.0.0.1:" + originPort, connectorLog);
        awaitStatus("http://127.0.0.1:" + connectorManagement + "/q/health/ready", 200);
        HttpResponse<String> through = get(publicPort, "/page?x=1");
        assertEquals(200, through.statusCode());
        assertEquals("origin saw /page?x=1", through.body());

        // The edge goes away for a while, then comes back on the same ports.
        edge.destroy();
        assertTrue(edge.waitFor(30, TimeUnit.SECONDS));
        awaitStatus("http://127.0.0.1:" + connectorManagement + "/q/health/ready", 503);
        // Away long enough (retries at ~1, 3 and 7 s) that the connector is inside an ~8 s wait when the edge is back.
        Thread.sleep(8000);
        edge(publicPort, listenerPort, edgeManagement, "edge-2.log");
        awaitStatus("http://127.0.0.1:" + edgeManagement + "/q/health/ready", 200);
        long ready = System.nanoTime();
        awaitStatus("http://127.0.0.1:" + publicPort + "/page", 200);
        long backMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ready);
        assertEquals("origin saw /page", get(publicPort, "/page").body());
        assertTrue(backMillis < 3000, "requests flow again " + backMillis + " ms after the restarted edge is ready, "
                + "not at the end of the connector's backoff wait");

        // While the edge was away, each connection waited longer and longer before trying again.
        String log = Files.readString(connectorLog);
        Matcher retries = Pattern.compile("Connection 0 to edge [^:]+:\\d+: .*?retrying in ([0-9.]+) s \\(attempt (\\d+)\\)").matcher(log);
        List<Double> delays = new ArrayList<>();
        while (retries.find()) {
            delays.add(Double.parseDouble(retries.group(1)));
        }
        assertTrue(delays.size() >= 3, "at least three retries of connection 0 while the edge was down: " + delays);
        for (int i = 1; i < Math.min(delays.size(), 4); i++) {
            assertTrue(delays.get(i) > delays.get(i - 1) * 1.3, "delays grow roughly twofold: " + delays);
        }
        assertTrue(delays.get(0) >= 0.8 && delays.get(0) <= 1.2, "first retry after about 1 s: " + delays);
        assertTrue(log.contains("accepts connections again; dialling connection"),
                "a long wait was cut short by the probe that saw the edge's port open again");
        assertTrue(!log.contains(token) && !Files.readString(dir.resolve("edge-1.log")).contains(token),
                "the token is never logged");

        // A connector with a forged token is refused, with the reason on both sides.
        int forgedManagement = freePort();
        Path forgedLog = dir.resolve("forged.log");
        String forged = token.substring(0, token.lastIndexOf('.') + 1) + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        connector(listenerPort, forgedManagement, forged, "http://127.0.0.1:" + originPort, forgedLog);
        awaitLog(forgedLog, "refused by the edge (401): token signature does not match");
        awaitLog(dir.resolve("edge-2.log"), "token signature does not match any secret of this edge (bad-signature)");
        assertEquals(503, status("http://127.0.0.1:" + forgedManagement + "/q/health/ready"));

        // No origin: 502 from the edge, with a request id.
        origin.stop(0);
        HttpResponse<String> down = get(publicPort, "/page");
        assertEquals(502, down.statusCode());
        assertTrue(down.headers().firstValue("X-Request-Id").isPresent());
    }

    /**
     * A WebSocket that went through the edge and was closed does not hold up the edge's shutdown: the edge counts every
     * request on the public port until it is done, and an upgraded request's response never ends (nor is the HTTP
     * connection told of the close), so it is over when its socket closes. Without that, every shutdown after one
     * WebSocket waited for all of quarkus.shutdown.timeout and logged the requests left in flight.
     */
    @Test
    void anEdgeThatCarriedAWebSocketStopsWithoutWaitingOutItsShutdownTimeout() throws Exception {
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try (TestOrigin origin = new TestOrigin(vertx)) {
            int publicPort = freePort();
            int listenerPort = freePort();
            int edgeManagement = freePort();
            Process edge = edge(publicPort, listenerPort, edgeManagement, "edge.log", List.of("-Dquarkus.shutdown.timeout=20s"));
            awaitStatus("http://127.0.0.1:" + edgeManagement + "/q/health/ready", 200);
            int connectorManagement = freePort();
            connector(listenerPort, connectorManagement, issueToken(edgeManagement), origin.url(), dir.resolve("connector.log"));
            awaitStatus("http://127.0.0.1:" + connectorManagement + "/q/health/ready", 200);
            awaitStatus("http://127.0.0.1:" + publicPort + "/hello", 200);

            java.util.concurrent.BlockingQueue<String> received = new java.util.concurrent.LinkedBlockingQueue<>();
            java.net.http.WebSocket socket = client.newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + publicPort + "/ws"), new java.net.http.WebSocket.Listener() {
                        @Override
                        public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket ws, CharSequence data, boolean last) {
                            received.add(data.toString());
                            ws.request(1);
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
            socket.sendText("through the edge", true).get(10, TimeUnit.SECONDS);
            assertEquals("echo: through the edge", received.poll(10, TimeUnit.SECONDS));
            socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
            Thread.sleep(500); // the close reaches the edge

            long stopping = System.nanoTime();
            edge.destroy(); // SIGTERM
            assertTrue(edge.waitFor(30, TimeUnit.SECONDS), "the edge stopped");
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping);
            String log = Files.readString(dir.resolve("edge.log"));
            assertTrue(!log.contains("still in flight") && !log.contains("Timed out waiting for graceful shutdown"),
                    "no request left in flight: " + log);
            assertTrue(millis < 10_000, "stopped in " + millis + " ms, not at the end of its 20 s shutdown timeout");
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aConnectorStartedFirstWaitsForTheTokenFileTheEdgeWritesThenCarriesTraffic() throws Exception {
        int originPort = freePort();
        HttpServer origin = origin(originPort, path -> "origin saw " + path);
        Path tokenFile = dir.resolve("shared/tunnel/app.token");
        int connectorManagement = freePort();
        int listenerPort = freePort();
        connector(listenerPort, connectorManagement, "http://127.0.0.1:" + originPort, dir.resolve("connector.log"),
                List.of("-Dedgestack.tunnel.connector.token-file=" + tokenFile), List.of());
        awaitStatus("http://127.0.0.1:" + connectorManagement + "/q/health/ready", 503);
        assertTrue(get(connectorManagement, "/q/health/ready").body().contains("waiting for the token file"));

        int publicPort = freePort();
        int edgeManagement = freePort();
        List<String> edgeFile = List.of("-Dedgestack.tunnel.edge.tunnels.app.token-file=" + tokenFile);
        Process edge = edge(publicPort, listenerPort, edgeManagement, "edge-1.log", edgeFile);
        awaitStatus("http://127.0.0.1:" + connectorManagement + "/q/health/ready", 200);
        assertEquals("origin saw /via-file", get(publicPort, "/via-file").body());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
        String token = Files.readString(tokenFile).trim();
        assertTrue(token.startsWith("est1."));
        assertTrue(Files.readString(dir.resolve("edge-1.log")).contains("Wrote a new connector token of tunnel app to"));

        // A restarted edge keeps the token that is still good, so the running connector's token stays valid.
        edge.destroy();
        assertTrue(edge.waitFor(30, TimeUnit.SECONDS));
        edge(publicPort, listenerPort, edgeManagement, "edge-2.log", edgeFile);
        awaitStatus("http://127.0.0.1:" + publicPort + "/via-file", 200);
        assertEquals(token, Files.readString(tokenFile).trim());
        assertTrue(Files.readString(dir.resolve("edge-2.log")).contains("is still valid"));
        assertTrue(!Files.readString(dir.resolve("connector.log")).contains(token)
                && !Files.readString(dir.resolve("edge-1.log")).contains(token), "the token is never logged");
        origin.stop(0);
    }

    @Test
    void carriesTrafficOverTlsAndRefusesAnEdgeItDoesNotTrust() throws Exception {
        Path[] pem = selfSigned("localhost");
        int originPort = freePort();
        HttpServer origin = origin(originPort, path -> "over tls");
        int publicPort = freePort();
        int listenerPort = freePort();
        int edgeManagement = freePort();
        List<String> properties = new ArrayList<>(edgeProperties(publicPort, listenerPort, edgeManagement));
        properties.add("-Dedgestack.tunnel.edge.tls-cert-file=" + pem[0].toString());
        properties.add("-Dedgestack.tunnel.edge.tls-key-file=" + pem[1].toString());
        start(properties, EDGE_ENV, dir.resolve("tls-edge.log"));
        awaitStatus("http://127.0.0.1:" + edgeManagement + "/q/health/ready", 200);
        String token = issueToken(edgeManagement);

        int management = freePort();
        start(List.of("-Dedgestack.tunnel.mode=connector", "-Dquarkus.management.port=" + management,
                "-Dedgestack.tunnel.connector.edge-addresses=localhost:" + listenerPort, "-Dedgestack.tunnel.connector.tls=true",
                "-Dedgestack.tunnel.connector.tls-ca-file=" + pem[0].toString(),
                "-Dedgestack.tunnel.connector.origin=http://127.0.0.1:" + originPort),
                List.of("EDGESTACK_TUNNEL_CONNECTOR_TOKEN=" + token), dir.resolve("tls-connector.log"));
        awaitStatus("http://127.0.0.1:" + management + "/q/health/ready", 200);
        assertEquals("over tls", get(publicPort, "/").body());

        int untrusting = freePort();
        Path log = dir.resolve("untrusting.log");
        start(List.of("-Dedgestack.tunnel.mode=connector", "-Dquarkus.management.port=" + untrusting,
                "-Dedgestack.tunnel.connector.edge-addresses=localhost:" + listenerPort, "-Dedgestack.tunnel.connector.tls=true",
                "-Dedgestack.tunnel.connector.origin=http://127.0.0.1:" + originPort),
                List.of("EDGESTACK_TUNNEL_CONNECTOR_TOKEN=" + token), log);
        awaitLog(log, "TLS handshake failed");
        assertEquals(503, status("http://127.0.0.1:" + untrusting + "/q/health/ready"));
        origin.stop(0);
    }

    @Test
    void anEdgeWithItsOwnCaIsPinnedByItsTokensAndANewCaIsRefused() throws Exception {
        int originPort = freePort();
        HttpServer origin = origin(originPort, path -> "pinned");
        int publicPort = freePort();
        int listenerPort = freePort();
        int edgeManagement = freePort();
        List<String> properties = new ArrayList<>(edgeProperties(publicPort, listenerPort, edgeManagement));
        properties.add("-Dedgestack.tunnel.edge.private-ca=true");
        properties.add("-Dedgestack.tunnel.edge.private-ca-dir=" + dir.resolve("ca-1"));
        Process edge = start(properties, EDGE_ENV, dir.resolve("ca-edge-1.log"));
        awaitStatus("http://127.0.0.1:" + edgeManagement + "/q/health/ready", 200);
        String token = issueToken(edgeManagement);
        String claims = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
        assertTrue(claims.contains("\"caf\":"), "the token carries the CA fingerprint: " + claims);
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("ca-1/ca-key.pem"))));

        // No TLS setting and no CA file on the connector: the token alone makes it dial TLS and pin the edge's CA.
        int management = freePort();
        Path log = dir.resolve("ca-connector.log");
        connector(listenerPort, management, token, "http://127.0.0.1:" + originPort, log);
        awaitStatus("http://127.0.0.1:" + management + "/q/health/ready", 200);
        assertEquals("pinned", get(publicPort, "/").body());

        // The same edge with another CA (its folder lost): the connector refuses it, naming the pin.
        edge.destroy();
        assertTrue(edge.waitFor(30, TimeUnit.SECONDS));
        properties.set(properties.size() - 1, "-Dedgestack.tunnel.edge.private-ca-dir=" + dir.resolve("ca-2"));
        start(properties, EDGE_ENV, dir.resolve("ca-edge-2.log"));
        awaitStatus("http://127.0.0.1:" + edgeManagement + "/q/health/ready", 200);
        awaitLog(log, "not signed by the tunnel CA this token pins");
        assertEquals(503, status("http://127.0.0.1:" + management + "/q/health/ready"));
        assertEquals(521, get(publicPort, "/").statusCode());
        origin.stop(0);
    }

    /** A self-signed certificate for {@code name} made with the JDK's keytool, written as PEM (certificate, key). */
    private Path[] selfSigned(String name) throws Exception {
        Path store = dir.resolve("edge.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "edge", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=" + name, "-ext", "SAN=dns:" + name, "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit"))
                .redirectErrorStream(true).start();
        assertEquals(0, process.waitFor(), new String(process.getInputStream().readAllBytes()));
        java.security.KeyStore keyStore = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(store)) {
            keyStore.load(in, "changeit".toCharArray());
        }
        java.util.Base64.Encoder base64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Path cert = Files.writeString(dir.resolve("edge.crt"), "-----BEGIN CERTIFICATE-----\n"
                + base64.encodeToString(keyStore.getCertificate("edge").getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Path key = Files.writeString(dir.resolve("edge.key"), "-----BEGIN PRIVATE KEY-----\n"
                + base64.encodeToString(keyStore.getKey("edge", "changeit".toCharArray()).getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
        return new Path[] {cert, key};
    }

    /** A real origin on a loopback port answering 200 with {@code body} of the request target. */
    private static HttpServer origin(int port, java.util.function.Function<URI, String> body) throws IOException {
        HttpServer origin = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        origin.createContext("/", exchange -> {
            byte[] bytes = body.apply(exchange.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        origin.start();
        return origin;
    }

    private static final List<String> EDGE_ENV = List.of("EDGESTACK_TUNNEL_EDGE_TOKEN_SECRETS=" + SECRET,
            "EDGESTACK_TUNNEL_ADMIN_TOKEN=it-admin");

    private static List<String> edgeProperties(int publicPort, int listenerPort, int management) {
        return List.of("-Dedgestack.tunnel.mode=edge", "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + publicPort,
                "-Dquarkus.management.port=" + management, "-Dedgestack.tunnel.edge.connector-host=127.0.0.1",
                "-Dedgestack.tunnel.edge.connector-port=" + listenerPort, "-Dedgestack.tunnel.edge.tunnels.app.hosts=*",
                "-Dquarkus.shutdown.timeout=1s");
    }

    @Test
    void anEdgeWhoseConnectorPortIsItsPublicPortRefusesToStart() throws Exception {
        int port = freePort();
        Process edge = edge(port, port, freePort(), "shared-port.log");
        assertTrue(edge.waitFor(60, TimeUnit.SECONDS), "the edge stops");
        assertTrue(edge.exitValue() != 0, "with a failure status");
        String log = Files.readString(dir.resolve("shared-port.log"));
        assertTrue(log.contains("edgestack.tunnel.edge.connector-port: " + port + " is also quarkus.http.port"), log);
    }

    @Test
    void aConnectorWithAMissingOriginCaPoolRefusesToStartNamingTheKey() throws Exception {
        Path missing = dir.resolve("no-such-ca.pem");
        Process connector = connector(freePort(), freePort(), "http://127.0.0.1:1", dir.resolve("ca-pool.log"), List.of(
                "-Dedgestack.tunnel.connector.ingress[0].service=https://127.0.0.1:8443",
                "-Dedgestack.tunnel.connector.ingress[0].origin-request.ca-pool=" + missing),
                List.of("EDGESTACK_TUNNEL_CONNECTOR_TOKEN=x.e30.y"));
        assertTrue(connector.waitFor(60, TimeUnit.SECONDS), "the connector stops");
        assertTrue(connector.exitValue() != 0, "with a failure status");
        String log = Files.readString(dir.resolve("ca-pool.log"));
        assertTrue(log.contains("edgestack.tunnel.connector.ingress[0].origin-request.ca-pool: " + missing
                + " is not a readable file"), log);
    }

    private Process edge(int publicPort, int listenerPort, int management, String log) throws IOException {
        return edge(publicPort, listenerPort, management, log, List.of());
    }

    private Process edge(int publicPort, int listenerPort, int management, String log, List<String> more) throws IOException {
        return start(concat(more, "-Dedgestack.tunnel.mode=edge", "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + publicPort,
                "-Dquarkus.management.port=" + management, "-Dedgestack.tunnel.edge.connector-host=127.0.0.1",
                "-Dedgestack.tunnel.edge.connector-port=" + listenerPort, "-Dedgestack.tunnel.edge.tunnels.app.hosts=*",
                "-Dquarkus.shutdown.timeout=1s"),
                List.of("EDGESTACK_TUNNEL_EDGE_TOKEN_SECRETS=" + SECRET, "EDGESTACK_TUNNEL_ADMIN_TOKEN=it-admin"), dir.resolve(log));
    }

    private Process connector(int listenerPort, int management, String token, String origin, Path log) throws IOException {
        return connector(listenerPort, management, origin, log, List.of(), List.of("EDGESTACK_TUNNEL_CONNECTOR_TOKEN=" + token));
    }

    private Process connector(int listenerPort, int management, String origin, Path log, List<String> more, List<String> env)
            throws IOException {
        return start(concat(more, "-Dedgestack.tunnel.mode=connector", "-Dquarkus.management.port=" + management,
                "-Dedgestack.tunnel.connector.edge-addresses=127.0.0.1:" + listenerPort,
                "-Dedgestack.tunnel.connector.origin=" + origin, "-Dedgestack.tunnel.connector.ha-connections=2",
                "-Dedgestack.tunnel.connector.origin-connect-timeout=1s"), env, log);
    }

    private static List<String> concat(List<String> more, String... properties) {
        List<String> all = new ArrayList<>(List.of(properties));
        all.addAll(more);
        return all;
    }

    private Process start(List<String> properties, List<String> env, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.addAll(properties);
        command.addAll(List.of("-jar", "target/quarkus-app/quarkus-run.jar"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        for (String kv : env) {
            builder.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private String issueToken(int management) throws Exception {
        HttpResponse<String> issued = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management
                + "/admin/tunnels/app/tokens")).header("Authorization", "Bearer it-admin")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ttl\": \"1h\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, issued.statusCode(), issued.body());
        Matcher token = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"").matcher(issued.body());
        assertTrue(token.find());
        return token.group(1);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private int status(String url) {
        try {
            return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private void awaitStatus(String url, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int last = -1;
        while (System.nanoTime() < deadline) {
            last = status(url);
            if (last == expected) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(url + " answered " + last + ", not " + expected);
    }

    private static void awaitLog(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(log.getFileName() + " never said: " + text);
    }

    /**
     * A port free now and not handed out before in this test: each socket is closed before the next is asked for, so
     * the system may give the same port twice, and two listeners of one edge on one port would share it (Vert.x
     * shares a port among the servers of one instance) instead of failing.
     */
    private int freePort() throws IOException {
        while (true) {
            try (ServerSocket socket = new ServerSocket(0)) {
                if (handedOut.add(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            }
        }
    }
}
