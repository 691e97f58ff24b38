package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;

/**
 * ping checks through the system's ping (iputils, installed by .ci/run): a real echo to loopback, and the other
 * verdicts from stand-in programs that answer as ping does when no reply comes or a name does not resolve.
 */
class PingProbeTest {

    private static final CheckSpec.Defaults DEFAULTS = new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(2), 3, 2);
    private static Vertx vertx;
    private static Probes probes;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        probes = new Probes(vertx);
    }

    @AfterAll
    static void stop() {
        probes.close();
        vertx.close();
    }

    @AfterEach
    void realPing() {
        Probes.pingCommand = "ping";
    }

    private static CheckResult run(String host) throws Exception {
        CheckSpec spec = CheckSpec.parse("box", Map.of("type", "ping", "host", host), DEFAULTS, "box.");
        return probes.run(spec).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private static void standIn(String script) throws Exception {
        Path file = Files.createTempFile("ping-", ".sh");
        Files.writeString(file, "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        Probes.pingCommand = file.toString();
    }

    @Test
    void loopbackAnswersItsEcho() throws Exception {
        CheckResult result = run("127.0.0.1");
        assertTrue(result.ok(), result.summary());
        assertTrue(result.summary().startsWith("reply from 127.0.0.1 in "), result.summary());
        assertTrue(result.latencyMs() < 1000, result.summary());
    }

    @Test
    void noReplyNoNameAndNoCommandAreEachTheirCause() throws Exception {
        standIn("echo 'PING 192.0.2.1 (192.0.2.1) 56(84) bytes of data.'; echo; echo '--- 192.0.2.1 ping statistics ---';"
                + " echo '1 packets transmitted, 0 received, 100% packet loss, time 0ms'; exit 1");
        CheckResult silent = run("192.0.2.1");
        assertFalse(silent.ok());
        assertEquals("timeout", silent.cause());
        assertEquals("no reply to ping 192.0.2.1 in 2 s", silent.summary());

        standIn("echo 'ping: nosuch.invalid: Name or service not known' >&2; exit 2");
        CheckResult unknown = run("nosuch.invalid");
        assertEquals("dns", unknown.cause());
        assertEquals("ping nosuch.invalid: ping: nosuch.invalid: Name or service not known", unknown.summary());

        standIn("echo 'the arguments were:' \"$@\"; exit 0"); // a reply without a round trip is no reply
        CheckResult odd = run("127.0.0.1");
        assertFalse(odd.ok());
        assertTrue(odd.summary().contains("-n -c 1 -W 2 127.0.0.1"), odd.summary());

        Probes.pingCommand = "/nonexistent/ping";
        CheckResult missing = run("127.0.0.1");
        assertEquals("error", missing.cause());
        assertTrue(missing.summary().startsWith("cannot run '/nonexistent/ping' (install iputils-ping)"), missing.summary());
    }

    @Test
    void aHostThatLooksLikeAnOptionIsRefused() {
        CheckSpec.Invalid refused = org.junit.jupiter.api.Assertions.assertThrows(CheckSpec.Invalid.class,
                () -> CheckSpec.parse("box", Map.of("type", "ping", "host", "-f"), DEFAULTS, "box."));
        assertEquals("box.host: '-f' is not a host name or address", refused.getMessage());
    }
}
