package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CheckSpecTest {

    private static final CheckSpec.Defaults DEFAULTS = new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(10), 3, 2);

    private static CheckSpec parse(Map<String, String> settings) {
        return CheckSpec.parse("home", settings, DEFAULTS, "edgestack.monitor.checks.home.");
    }

    private static String error(Map<String, String> settings) {
        return assertThrows(CheckSpec.Invalid.class, () -> parse(settings)).getMessage();
    }

    @Test
    void readsAnHttpCheckWithDefaults() {
        CheckSpec spec = parse(Map.of("url", "https://example.test/health", "header-Accept", "application/json",
                "expected-status", "200,301-308", "max-latency", "800ms"));
        assertEquals("http", spec.type());
        assertEquals(443, spec.port());
        assertEquals(Duration.ofSeconds(30), spec.interval());
        assertEquals(Duration.ofSeconds(10), spec.timeout());
        assertEquals(3, spec.failuresBeforeDown());
        assertEquals("application/json", spec.headers().get("Accept"));
        assertTrue(spec.accepts(200) && spec.accepts(304) && !spec.accepts(204) && !spec.accepts(500));
        assertEquals(Duration.ofMillis(800), spec.maxLatency());
        assertNull(spec.keyword());
    }

    @Test
    void aCheckGoesThroughItsOwnTunnelOrAnyWhenItEntersByTheTunnelAndNamesNone() {
        CheckSpec own = parse(Map.of("url", "https://example.test/", "entry-layer", "tunnel", "tunnel", "site"));
        assertTrue(own.through("site") && !own.through("other"));
        CheckSpec any = parse(Map.of("url", "https://example.test/", "entry-layer", "tunnel"));
        assertTrue(any.through("site") && any.through("other"));
        CheckSpec direct = parse(Map.of("url", "https://example.test/", "entry-layer", "proxy"));
        assertTrue(!direct.through("site"));
        assertEquals("edgestack.monitor.checks.home.tunnel: 'my site' is not a tunnel id (1-63 letters, digits, '.', '_' or '-')",
                error(Map.of("url", "http://x/", "tunnel", "my site")));
    }

    @Test
    void anHttpsCheckJudgesItsCertificateOnlyWhenAskedAndMayIgnoreTlsErrors() {
        CheckSpec plain = parse(Map.of("url", "https://example.test/"));
        assertEquals(0, plain.tlsDays(), "not judged unless asked");
        assertTrue(!plain.ignoreTlsErrors());
        CheckSpec asked = parse(Map.of("url", "https://example.test/", "tls-days", "21", "ignore-tls-errors", "true"));
        assertEquals(21, asked.tlsDays());
        assertTrue(asked.ignoreTlsErrors());
        assertEquals(14, parse(Map.of("type", "tls", "host", "example.test", "port", "443")).tlsDays());
        assertEquals("edgestack.monitor.checks.home.tls-days: only for a tls check or an http check of an https URL",
                error(Map.of("url", "http://example.test/", "tls-days", "14")));
        assertEquals("edgestack.monitor.checks.home.ignore-tls-errors: only for an http check of an https URL, a grpcs:// or a rediss:// check",
                error(Map.of("type", "tcp", "host", "example.test", "port", "22", "ignore-tls-errors", "true")));
    }

    @Test
    void errorsNameTheCheckAndTheKey() {
        assertEquals("edgestack.monitor.checks.home.url: 'ftp://x' is not an http:// or https:// URL with a host",
                error(Map.of("url", "ftp://x")));
        assertEquals("edgestack.monitor.checks.home.type: missing (one of http, tcp, tls, dns, push, ping, postgres, mysql, redis, docker, grpc)", error(Map.of()));
        assertEquals("edgestack.monitor.checks.home.interval: 500 ms is below the minimum of 1s",
                error(Map.of("url", "http://x/", "interval", "500ms")));
        assertEquals("edgestack.monitor.checks.home.interval: 'soon' is not a duration (like 500ms, 30s, 5m, 1h)",
                error(Map.of("url", "http://x/", "interval", "soon")));
        assertEquals("edgestack.monitor.checks.home.port: missing (a tcp check needs host and port)",
                error(Map.of("type", "tcp", "host", "db")));
        assertEquals("edgestack.monitor.checks.home.port: 70000 is outside 1..65535",
                error(Map.of("type", "tcp", "host", "db", "port", "70000")));
        assertEquals("edgestack.monitor.checks.home.expected-status: '99' is not a status or range between 100 and 599"
                + " (like 200,301-308)", error(Map.of("url", "http://x/", "expected-status", "200,99")));
        assertTrue(error(Map.of("url", "http://x/", "keywrod", "a")).startsWith("edgestack.monitor.checks.home.keywrod: unknown key"));
        assertEquals("edgestack.monitor.checks.home.push-token: must be at least 10 characters",
                error(Map.of("type", "push", "push-period", "5m", "push-token", "short")));
        // an Uptime Kuma push token of 10 characters is taken, so that the job's Kuma URL works as it is
        assertEquals("JSHs372KL8", parse(Map.of("type", "push", "push-period", "5m", "push-token", "JSHs372KL8")).pushToken());
        assertTrue(error(Map.of("url", "http://x/", "json-path", "status = ok")).contains("json-path"));
        assertTrue(assertThrows(CheckSpec.Invalid.class, () -> CheckSpec.parse("bad name", Map.of("url", "http://x/"), DEFAULTS,
                "p.")).getMessage().contains("'bad name'"));
    }

    @Test
    void httpsAndTlsChecksAreTheOnesThatWarmTlsUpAtStart() {
        assertTrue(parse(Map.of("url", "https://example.test/")).usesTls());
        assertTrue(parse(Map.of("type", "tls", "host", "x", "port", "443")).usesTls());
        assertFalse(parse(Map.of("url", "http://example.test/")).usesTls());
        assertFalse(parse(Map.of("type", "tcp", "host", "x", "port", "443")).usesTls());
    }

    @Test
    void timeoutNeverExceedsTheInterval() {
        assertEquals(Duration.ofSeconds(2), parse(Map.of("url", "http://x/", "interval", "2s")).timeout());
        assertTrue(parse(Map.of("type", "tls", "host", "x", "port", "443")).followRedirects());
    }
}
