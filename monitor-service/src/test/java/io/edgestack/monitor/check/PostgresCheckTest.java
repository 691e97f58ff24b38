package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.edgestack.testkit.PostgresServer;
import io.vertx.core.Vertx;

/**
 * postgres checks, as Uptime Kuma's PostgreSQL monitor, against a real PostgreSQL server on loopback: up when the query
 * runs; down with a cause that says what failed (refused, auth, database, query); the password never in a summary.
 */
class PostgresCheckTest {

    private static final CheckSpec.Defaults DEFAULTS = new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(5), 3, 1);
    private static PostgresServer server;
    private static Vertx vertx;
    private static String address;

    @BeforeAll
    static void start() throws Exception {
        server = PostgresServer.start();
        vertx = Vertx.vertx();
        address = server.jdbcUrl().replace("jdbc:postgresql://", "").replace("/postgres", ""); // 127.0.0.1:port
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close();
        server.close();
    }

    private static CheckResult run(String url, String... more) throws Exception {
        Map<String, String> settings = new HashMap<>(Map.of("url", url));
        for (int i = 0; i < more.length; i += 2) {
            settings.put(more[i], more[i + 1]);
        }
        CheckSpec spec = CheckSpec.parse("db", settings, DEFAULTS, "db.");
        return new Probes(vertx).run(spec).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    @Test
    void aDatabaseThatAnswersItsQueryIsUpAndEachFailureSaysWhatFailed() throws Exception {
        CheckResult up = run("postgres://edgestack:s3cret-pw@" + address + "/postgres");
        assertTrue(up.ok(), up.toString());
        assertTrue(up.summary().startsWith("postgres://edgestack@" + address + "/postgres: query ran in "), up.summary());
        assertTrue(up.summary().endsWith("first value 1"), up.summary());
        CheckResult counted = run("postgresql://edgestack@" + address + "/postgres", "query",
                "SELECT count(*) FROM pg_database WHERE datname = 'postgres'", "type", "postgres");
        assertTrue(counted.ok() && counted.summary().endsWith("first value 1"), counted.toString());

        CheckResult noDatabase = run("postgres://edgestack:s3cret-pw@" + address + "/shop");
        assertEquals("database", noDatabase.cause(), noDatabase.toString());
        assertFalse(noDatabase.summary().contains("s3cret"), "no password in a summary: " + noDatabase.summary());
        CheckResult noRole = run("postgres://nobody@" + address + "/postgres", "password", "s3cret-pw");
        assertEquals("auth", noRole.cause(), noRole.toString());
        assertFalse(noRole.summary().contains("s3cret"), noRole.summary());
        CheckResult badQuery = run("postgres://edgestack@" + address + "/postgres", "query", "SELECT * FROM orders");
        assertEquals("query", badQuery.cause(), badQuery.toString());
        assertTrue(badQuery.summary().contains("orders"), badQuery.summary());
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        CheckResult refused = run("postgres://edgestack@127.0.0.1:" + closed + "/postgres");
        assertEquals("refused", refused.cause(), refused.toString());
    }

    @Test
    void aBadPostgresCheckIsRefusedNamingTheKey() {
        assertEquals("db.url: not postgres://user[:password]@host[:port]/database (as Uptime Kuma's): the user is missing",
                assertThrows(CheckSpec.Invalid.class, () -> CheckSpec.parse("db", Map.of("url", "postgres://127.0.0.1/shop"),
                        DEFAULTS, "db.")).getMessage());
        assertEquals("db.password: the url has one already: keep one", assertThrows(CheckSpec.Invalid.class,
                () -> CheckSpec.parse("db", Map.of("url", "postgres://a:b@127.0.0.1/shop", "password", "c"), DEFAULTS, "db."))
                .getMessage());
        assertEquals("home.query: only for a postgres or mysql check", assertThrows(CheckSpec.Invalid.class,
                () -> CheckSpec.parse("home", Map.of("url", "http://x/", "query", "SELECT 1"), DEFAULTS, "home.")).getMessage());
        CheckSpec spec = CheckSpec.parse("db", Map.of("url", "postgres://shop:pw@db.internal/shop?sslmode=require"), DEFAULTS, "db.");
        assertEquals("postgres", spec.type());
        assertEquals("jdbc:postgresql://db.internal:5432/shop?sslmode=require", spec.database().jdbcUrl());
        assertFalse(spec.toString().contains("pw,") || spec.database().toString().contains(":pw"), spec.toString());
    }
}
