package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;

/**
 * Upside-down checks, as Uptime Kuma's "upside down mode": a port that must stay closed from where the monitor stands
 * (a database, an admin address) is up while nothing answers, and down with cause {@code upside-down} once something
 * does. Real sockets on loopback.
 */
class UpsideDownTest {

    private static final CheckSpec.Defaults DEFAULTS = new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(2), 3, 1);

    private static CheckSpec closedPort(int port) {
        return CheckSpec.parse("db-closed", Map.of("type", "tcp", "host", "127.0.0.1", "port", Integer.toString(port),
                "upside-down", "true"), DEFAULTS, "db-closed.");
    }

    @Test
    void aPortThatMustStayClosedIsUpWhileNothingAnswersAndDownOnceSomethingDoes() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (ServerSocket open = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Probes probes = new Probes(vertx);
            int closed;
            try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                closed = gone.getLocalPort();
            }
            CheckResult quiet = probes.run(closedPort(closed)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(quiet.ok(), quiet.toString());
            assertTrue(quiet.summary().startsWith("no answer, as it should be (refused)"), quiet.summary());
            CheckResult exposed = probes.run(closedPort(open.getLocalPort())).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertFalse(exposed.ok(), exposed.toString());
            assertEquals("upside-down", exposed.cause());
            assertTrue(exposed.summary().startsWith("answered, and it should not: connected in"), exposed.summary());
        } finally {
            vertx.close();
        }
    }

    @Test
    void aPushCheckCannotBeUpsideDown() {
        assertEquals("job.upside-down: not for a push check (its job reports in, or not)",
                org.junit.jupiter.api.Assertions.assertThrows(CheckSpec.Invalid.class, () -> CheckSpec.parse("job",
                        Map.of("type", "push", "push-period", "5m", "push-token", "0123456789abcdef", "upside-down", "true"),
                        DEFAULTS, "job.")).getMessage());
        assertFalse(CheckSpec.parse("home", Map.of("url", "http://x/"), DEFAULTS, "home.").upsideDown());
    }
}
