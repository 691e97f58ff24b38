package io.edgestack.tunnel.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.edgestack.tunnel.config.HostPattern;

class BackoffAndIngressTest {

    @Test
    void backoffDoublesFromOneSecondToThirtyWithJitterAndNeverStops() {
        Backoff low = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), () -> 0.0);
        Backoff high = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30), () -> 0.999);
        long[] expected = {1000, 2000, 4000, 8000, 16000, 30000, 30000};
        for (int attempt = 0; attempt < expected.length; attempt++) {
            long lo = low.delay(attempt).toMillis();
            long hi = high.delay(attempt).toMillis();
            assertEquals(Math.min(30000, Math.round(expected[attempt] * 0.8)), lo, "attempt " + attempt);
            assertTrue(hi <= 30000 && hi >= Math.min(30000, expected[attempt]), "attempt " + attempt + ": " + hi);
        }
        assertEquals(30000, high.delay(10_000).toMillis(), "attempt ten thousand still waits at most 30 s");
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1), Math::random));
    }

    @Test
    void ingressRulesMatchInOrderOnHostAndPathSegments() {
        Ingress ingress = new Ingress(List.of(
                new Ingress.Rule(Optional.of(HostPattern.parse("k", "api.example.com")), Optional.of("/v1"),
                        URI.create("http://127.0.0.1:9000"), 0),
                new Ingress.Rule(Optional.of(HostPattern.parse("k", "*.example.com")), Optional.empty(),
                        URI.create("http://127.0.0.1:8081"), 0),
                new Ingress.Rule(Optional.empty(), Optional.empty(), null, 404)));
        assertEquals(9000, ingress.match("api.example.com:8080", "/v1/users?x=1").origin().getPort());
        assertEquals(8081, ingress.match("API.example.com", "/v1x").origin().getPort(), "prefix on segment boundaries");
        assertEquals(8081, ingress.match("www.example.com", "/").origin().getPort());
        assertEquals(404, ingress.match("example.com", "/").status(), "the apex is not *.example.com");
        assertEquals(404, ingress.match("other.org", "/v1").status());
    }
}
