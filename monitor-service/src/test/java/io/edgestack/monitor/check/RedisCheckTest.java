package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.edgestack.testkit.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/**
 * redis checks, as Uptime Kuma's Redis monitor, against real Redis servers on loopback (one with a password, one over
 * TLS only): up on PONG; down with a cause that says what failed (auth, database, refused, tls, timeout, error); the
 * password never in a summary.
 */
class RedisCheckTest {

    private static final CheckSpec.Defaults DEFAULTS = new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(5), 3, 1);
    private static RedisServer plain;
    private static RedisServer secured;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws Exception {
        plain = RedisServer.start("s3cret-pw", false);
        secured = RedisServer.start(null, true);
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close();
        plain.close();
        secured.close();
    }

    private static CheckResult run(String url, String... more) throws Exception {
        Map<String, String> settings = new HashMap<>(Map.of("url", url));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        CheckSpec spec = CheckSpec.parse("cache", settings, DEFAULTS, "cache.");
        return new Probes(vertx).run(spec).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aServerThatAnswersPingIsUpAndEachFailureSaysWhatFailed() throws Exception {
        String address = "127.0.0.1:" + plain.port();
        CheckResult up = run("redis://:s3cret-pw@" + address);
        assertTrue(up.ok(), up.toString());
        assertTrue(up.summary().startsWith("redis://" + address + ": PONG in "), up.summary());
        CheckResult selected = run("redis://default@" + address + "/3", "password", "s3cret-pw");
        assertTrue(selected.ok(), selected.toString());
        assertTrue(selected.summary().startsWith("redis://default@" + address + "/3: PONG"), selected.summary());

        CheckResult noPassword = run("redis://" + address);
        assertEquals("auth", noPassword.cause(), noPassword.toString());
        assertTrue(noPassword.summary().contains("NOAUTH"), noPassword.summary());
        CheckResult wrongPassword = run("redis://:not-it@" + address);
        assertEquals("auth", wrongPassword.cause(), wrongPassword.toString());
        assertFalse(wrongPassword.summary().contains("not-it"), "no password in a summary: " + wrongPassword.summary());
        CheckResult noSuchDatabase = run("redis://:s3cret-pw@" + address + "/9");
        assertEquals("database", noSuchDatabase.cause(), noSuchDatabase.toString());
        assertFalse(noSuchDatabase.summary().contains("s3cret"), noSuchDatabase.summary());
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        assertEquals("refused", run("redis://127.0.0.1:" + closed).cause());
        // a port that takes the connection and never answers
        try (ServerSocket deaf = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CheckResult silent = run("redis://127.0.0.1:" + deaf.getLocalPort(), "timeout", "1s");
            assertEquals("timeout", silent.cause(), silent.toString());
        }
    }

    @Test
    void overTlsTheCertificateIsCheckedUnlessTheCheckIgnoresTlsErrors() throws Exception {
        String address = "localhost:" + secured.port();
        CheckResult untrusted = run("rediss://" + address);
        assertEquals("tls", untrusted.cause(), untrusted.toString());
        CheckResult lenient = run("rediss://" + address, "ignore-tls-errors", "true");
        assertTrue(lenient.ok(), lenient.toString());
        assertTrue(lenient.summary().startsWith("rediss://" + address + ": PONG"), lenient.summary());
        CheckResult plainToTls = run("redis://" + address);
        assertFalse(plainToTls.ok(), plainToTls.toString());
    }

    @Test
    void aPeerThatIsNotRedisIsSaidSo() {
        RedisReplies replies = new RedisReplies();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> replies.feed(Buffer.buffer("HTTP/1.1 400 Bad Request\r\n\r\n")));
        assertEquals("not a Redis server: it answered 'HTTP/1.1 400 Bad Request'", e.getMessage());
        RedisReplies pieces = new RedisReplies();
        assertEquals(List.of(), pieces.feed(Buffer.buffer("+O")));
        assertEquals(List.of("+OK"), pieces.feed(Buffer.buffer("K\r\n$5\r\nhel")));
        assertEquals(List.of("+OK", "$hello", "*2", "+PONG"), pieces.feed(Buffer.buffer("lo\r\n*2\r\n:1\r\n$-1\r\n+PONG\r\n")));
    }

    @Test
    void aBadRedisCheckIsRefusedNamingTheKey() {
        assertEquals("cache.url: not redis://[[user]:password@]host[:port][/database number] (or rediss:// over TLS; as Uptime Kuma's)",
                assertThrows(CheckSpec.Invalid.class, () -> CheckSpec.parse("cache", Map.of("url", "redis://127.0.0.1/cache"),
                        DEFAULTS, "cache.")).getMessage());
        assertEquals("cache.url: the user app has no password (redis://user:password@host, or the password key; "
                + "redis://:password@host for a password alone)", assertThrows(CheckSpec.Invalid.class,
                        () -> CheckSpec.parse("cache", Map.of("url", "redis://app@127.0.0.1"), DEFAULTS, "cache.")).getMessage());
        assertEquals("cache.query: only for a postgres or mysql check (a redis check sends PING)", assertThrows(CheckSpec.Invalid.class,
                () -> CheckSpec.parse("cache", Map.of("url", "redis://127.0.0.1", "query", "INFO"), DEFAULTS, "cache.")).getMessage());
        assertEquals("cache.ignore-tls-errors: only for an http check of an https URL, a grpcs:// or a rediss:// check",
                assertThrows(CheckSpec.Invalid.class, () -> CheckSpec.parse("cache", Map.of("url", "redis://127.0.0.1",
                        "ignore-tls-errors", "true"), DEFAULTS, "cache.")).getMessage());
        CheckSpec spec = CheckSpec.parse("cache", Map.of("url", "rediss://app:pw@cache.internal/2"), DEFAULTS, "cache.");
        assertEquals("redis", spec.type());
        assertEquals(6379, spec.port());
        assertTrue(spec.database().tls());
        assertEquals(2, spec.database().index());
        assertEquals("rediss://app@cache.internal:6379/2", spec.target().equals("cache.internal:6379") ? spec.database().shown() : spec.target());
        assertFalse(spec.toString().contains(":pw"), spec.toString());
    }
}
