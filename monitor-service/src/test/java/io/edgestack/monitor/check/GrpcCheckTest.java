package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PfxOptions;

/**
 * grpc checks against real HTTP/2 servers on loopback that speak the standard health service
 * ({@code grpc.health.v1.Health/Check}, protobuf on the wire): serving, not serving, a service the server does not know,
 * a server without the health service, one over TLS with a self-signed certificate, and nothing listening.
 */
class GrpcCheckTest {

    private static final CheckSpec.Defaults DEFAULTS = new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(3), 3, 2);
    /** The health server's services and their serving status (1 SERVING, 2 NOT_SERVING); others: NOT_FOUND. */
    private static final Map<String, Integer> SERVICES = Map.of("", 1, "orders", 1, "billing", 2);

    private static Vertx vertx;
    private static Probes probes;
    private static int health;
    private static int healthTls;
    private static int noHealth;
    /** What the health servers were sent: content-type, te and the service name decoded. */
    private static final List<String> SEEN = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        probes = new Probes(vertx);
        health = listen(new HttpServerOptions().setHttp2ClearTextEnabled(true), GrpcCheckTest::health);
        Path store = Files.createTempDirectory("edgestack-grpc-check").resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(keytool, "-genkeypair", "-alias", "grpc", "-keyalg", "EC", "-validity", "30",
                "-dname", "CN=grpc.example.test", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass",
                "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, "keytool made a certificate");
        healthTls = listen(new HttpServerOptions().setSsl(true).setUseAlpn(true)
                .setKeyCertOptions(new PfxOptions().setPath(store.toString()).setPassword("changeit")), GrpcCheckTest::health);
        noHealth = listen(new HttpServerOptions().setHttp2ClearTextEnabled(true), request -> request.response()
                .putHeader("content-type", "application/grpc").putHeader("grpc-status", "12")
                .putHeader("grpc-message", "unknown service grpc.health.v1.Health").end());
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static int listen(HttpServerOptions options, io.vertx.core.Handler<HttpServerRequest> handler) throws Exception {
        return vertx.createHttpServer(options).requestHandler(handler).listen(0, "127.0.0.1").toCompletionStage()
                .toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    /** grpc.health.v1.Health/Check, as gRPC servers answer it (HTTP/2 only, the status in the trailers). */
    private static void health(HttpServerRequest request) {
        if (request.version() != HttpVersion.HTTP_2 || !request.path().equals("/grpc.health.v1.Health/Check")) {
            request.response().setStatusCode(request.version() != HttpVersion.HTTP_2 ? 505 : 404).end();
            return;
        }
        request.body().onSuccess(body -> {
            // one message: 0, u32 length, then HealthCheckRequest (field 1, length-delimited: the service's name)
            String service = body.length() > 5 ? body.getString(7, 7 + body.getByte(6), "UTF-8") : "";
            SEEN.add(request.getHeader("content-type") + " te=" + request.getHeader("te") + " service=" + service);
            Integer status = SERVICES.get(service);
            var response = request.response().putHeader("content-type", "application/grpc");
            if (status == null) {
                response.putHeader("grpc-status", "5").putHeader("grpc-message", "unknown service: " + service).end();
                return;
            }
            response.trailers().add("grpc-status", "0");
            // HealthCheckResponse: field 1 (varint) the status
            response.end(Buffer.buffer().appendByte((byte) 0).appendInt(2).appendByte((byte) 0x08).appendByte(status.byteValue()));
        });
    }

    private static CheckResult run(Map<String, String> settings) throws Exception {
        CheckSpec spec = CheckSpec.parse("grpc", new HashMap<>(settings), DEFAULTS, "edgestack.monitor.checks.grpc.");
        return probes.run(spec).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aServingServerIsUp() throws Exception {
        CheckResult whole = run(Map.of("url", "grpc://127.0.0.1:" + health));
        assertTrue(whole.ok(), whole.toString());
        assertTrue(whole.summary().contains("SERVING"), whole.summary());
        assertTrue(SEEN.contains("application/grpc te=trailers service="), "asked as gRPC clients ask: " + SEEN);
        CheckResult orders = run(Map.of("url", "grpc://127.0.0.1:" + health, "service", "orders"));
        assertTrue(orders.ok(), orders.toString());
        assertTrue(SEEN.contains("application/grpc te=trailers service=orders"), SEEN.toString());
    }

    @Test
    void aServiceNotServingOrUnknownIsDown() throws Exception {
        CheckResult billing = run(Map.of("url", "grpc://127.0.0.1:" + health, "service", "billing"));
        assertFalse(billing.ok());
        assertEquals("grpc", billing.cause());
        assertTrue(billing.summary().contains("NOT_SERVING"), billing.summary());
        CheckResult unknown = run(Map.of("url", "grpc://127.0.0.1:" + health, "service", "shipping"));
        assertEquals("grpc", unknown.cause());
        assertTrue(unknown.summary().contains("gRPC NOT_FOUND (unknown service: shipping)"), unknown.summary());
    }

    @Test
    void aServerWithoutTheHealthServiceIsDownAndSaysSo() throws Exception {
        CheckResult result = run(Map.of("url", "grpc://127.0.0.1:" + noHealth));
        assertEquals("grpc", result.cause());
        assertTrue(result.summary().contains("UNIMPLEMENTED") && result.summary().contains("no health service"),
                result.summary());
    }

    @Test
    void overTlsTheCertificateIsCheckedUnlessTold() throws Exception {
        CheckResult strict = run(Map.of("url", "grpcs://127.0.0.1:" + healthTls));
        assertEquals("tls", strict.cause(), strict.summary());
        CheckResult lenient = run(Map.of("url", "grpcs://127.0.0.1:" + healthTls, "ignore-tls-errors", "true"));
        assertTrue(lenient.ok(), lenient.toString());
    }

    @Test
    void nothingListeningIsRefused() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        CheckResult result = run(Map.of("url", "grpc://127.0.0.1:" + port));
        assertEquals("refused", result.cause(), result.summary());
    }

    @Test
    void settingsThatMakeNoGrpcCheckAreRefused() {
        assertEquals("grpc", CheckSpec.parse("g", Map.of("url", "grpc://svc:50051"), DEFAULTS, "c.g.").type());
        assertEquals(443, CheckSpec.parse("g", Map.of("url", "grpcs://svc"), DEFAULTS, "c.g.").port());
        assertEquals("c.g.url: 'grpc://svc:50051/pkg.Svc' is not a grpc://host:port or grpcs://host:port URL (the service"
                + " is named by 'service')", refused(Map.of("url", "grpc://svc:50051/pkg.Svc")));
        assertEquals("c.g.service: only for a grpc check", refused(Map.of("url", "http://svc/", "service", "x")));
        assertEquals("c.g.ignore-tls-errors: only for an http check of an https URL, a grpcs:// or a rediss:// check",
                refused(Map.of("url", "grpc://svc:1", "ignore-tls-errors", "true")));
    }

    private static String refused(Map<String, String> settings) {
        try {
            CheckSpec.parse("g", settings, DEFAULTS, "c.g.");
        } catch (CheckSpec.Invalid e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + settings);
    }
}
