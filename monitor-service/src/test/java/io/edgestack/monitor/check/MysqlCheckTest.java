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

import io.edgestack.testkit.MariaDbServer;
import io.vertx.core.Vertx;

/**
 * mysql checks, as Uptime Kuma's MySQL/MariaDB monitor, against a real MariaDB server on loopback: up when the query
 * runs; down with a cause that says what failed (refused, auth, database, query, timeout); the password never in a
 * summary.
 */
class MysqlCheckTest {

    private static final CheckSpec.Defaults DEFAULTS = new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(5), 3, 1);
    private static MariaDbServer server;
    private static Vertx vertx;
    private static String address;

    @BeforeAll
    static void start() throws Exception {
        server = MariaDbServer.start();
        vertx = Vertx.vertx();
        address = "127.0.0.1:" + server.port();
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
        return new Probes(vertx).run(spec).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aDatabaseThatAnswersItsQueryIsUpAndEachFailureSaysWhatFailed() throws Exception {
        CheckResult up = run("mysql://edgestack:s3cret-pw@" + address + "/shop");
        assertTrue(up.ok(), up.toString());
        assertTrue(up.summary().startsWith("mysql://edgestack@" + address + "/shop: query ran in "), up.summary());
        assertTrue(up.summary().endsWith("first value 1"), up.summary());
        CheckResult counted = run("mariadb://edgestack@" + address + "/shop", "password", "s3cret-pw", "query",
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'shop'");
        assertTrue(counted.ok() && counted.summary().endsWith("first value 1"), counted.toString());

        CheckResult wrongPassword = run("mysql://edgestack:not-it@" + address + "/shop");
        assertEquals("auth", wrongPassword.cause(), wrongPassword.toString());
        assertFalse(wrongPassword.summary().contains("not-it"), "no password in a summary: " + wrongPassword.summary());
        CheckResult noDatabase = run("mysql://edgestack:s3cret-pw@" + address + "/blog");
        assertEquals("database", noDatabase.cause(), noDatabase.toString());
        assertFalse(noDatabase.summary().contains("s3cret"), noDatabase.summary());
        CheckResult badQuery = run("mysql://edgestack:s3cret-pw@" + address + "/shop", "query", "SELECT * FROM orders");
        assertEquals("query", badQuery.cause(), badQuery.toString());
        assertTrue(badQuery.summary().contains("orders"), badQuery.summary());
        CheckResult slow = run("mysql://edgestack:s3cret-pw@" + address + "/shop", "query", "SELECT SLEEP(5)", "timeout", "1s");
        assertEquals("timeout", slow.cause(), slow.toString());
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        CheckResult refused = run("mysql://edgestack:s3cret-pw@127.0.0.1:" + closed + "/shop");
        assertEquals("refused", refused.cause(), refused.toString());
    }

    @Test
    void aBadMysqlCheckIsRefusedNamingTheKey() {
        assertEquals("db.url: not mysql://user[:password]@host[:port]/database (as Uptime Kuma's): the user is missing",
                assertThrows(CheckSpec.Invalid.class, () -> CheckSpec.parse("db", Map.of("url", "mysql://127.0.0.1/shop"),
                        DEFAULTS, "db.")).getMessage());
        assertEquals("db.url: not mysql://user[:password]@host[:port]/database (as Uptime Kuma's)",
                assertThrows(CheckSpec.Invalid.class, () -> CheckSpec.parse("db", Map.of("url", "postgres://a@127.0.0.1/shop",
                        "type", "mysql"), DEFAULTS, "db.")).getMessage());
        CheckSpec spec = CheckSpec.parse("db", Map.of("url", "mariadb://shop:pw@db.internal/shop?sslMode=verify-full"), DEFAULTS, "db.");
        assertEquals("mysql", spec.type());
        assertEquals(3306, spec.port());
        assertEquals("jdbc:mariadb://db.internal:3306/shop?sslMode=verify-full", spec.database().jdbcUrl());
        assertFalse(spec.toString().contains(":pw"), spec.toString());
    }
}
