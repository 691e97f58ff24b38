package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class LayersTest {

    @Test
    void nothingAnsweringIsTheLayerTheCheckEntersBy() throws Exception {
        int closed;
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        var defaults = new CheckSpec.Defaults(java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(2), 3, 1);
        var viaEdge = CheckSpec.parse("edge", java.util.Map.of("url", "http://127.0.0.1:" + closed + "/",
                "entry-layer", "tunnel"), defaults, "edge.");
        var plain = CheckSpec.parse("plain", java.util.Map.of("url", "http://127.0.0.1:" + closed + "/"), defaults, "plain.");
        io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
        try {
            Probes probes = new Probes(vertx);
            CheckResult refused = probes.run(viaEdge).toCompletionStage().toCompletableFuture().get();
            assertEquals("refused", refused.cause());
            assertEquals("tunnel", refused.layer(), "the edge's address refuses: the tunnel layer is down");
            assertNull(probes.run(plain).toCompletionStage().toCompletableFuture().get().layer(), "no claim without it");
        } finally {
            vertx.close();
        }
        assertEquals("plain.entry-layer: 'cdn' is not one of tunnel, proxy, origin", org.junit.jupiter.api.Assertions
                .assertThrows(CheckSpec.Invalid.class, () -> CheckSpec.parse("plain", java.util.Map.of("url", "http://x/",
                        "entry-layer", "cdn"), defaults, "plain.")).getMessage());
    }

    @Test
    void theEdgeWithoutAConnectorIsTheTunnel() {
        assertEquals("tunnel", Layers.failed(521, "edgestack-edge; error=destination_unavailable", null));
    }

    @Test
    void theEdgeFailingToReachItsOriginIsTheProxy() {
        assertEquals("proxy", Layers.failed(502, "edgestack-edge; error=connection_refused", null));
        assertEquals("proxy", Layers.failed(504, "edgestack-edge; error=http_response_timeout", null));
    }

    @Test
    void theProxyFailingToReachItsUpstreamIsTheOriginEvenBehindTheEdge() {
        assertEquals("origin", Layers.failed(502, "edgestack-proxy; error=connection_refused", null));
        // the proxy's member comes first (closest to the origin); the edge passed the answer on without an error
        assertEquals("origin", Layers.failed(502, "edgestack-proxy; error=connection_timeout, edgestack-edge", null));
    }

    @Test
    void aServerErrorThroughTheSuiteIsTheOriginAndUnknownOtherwise() {
        assertEquals("origin", Layers.failed(500, null, "edgestack; fwd=miss; fwd-status=500"));
        assertNull(Layers.failed(500, null, null), "not through the suite: no claim");
        assertNull(Layers.failed(404, null, "edgestack; fwd=miss"));
        assertNull(Layers.failed(0, null, null));
    }

    @Test
    void quotedDetailsWithCommasAndSemicolonsDoNotSplitMembers() {
        assertEquals("tunnel", Layers.failed(521,
                "other; details=\"a, b; c\", edgestack-edge; error=destination_unavailable; details=\"no \\\"connector\\\"\"",
                null));
        assertEquals("a, b; c", Layers.members("other; details=\"a, b; c\"").get(0).params().get("details"));
    }

    @Test
    void aStaleCopyCountsOnlyWhenTheOriginFailed() {
        assertEquals("origin-unreachable (502)",
                Layers.staleBecauseOriginFailed("edgestack; fwd=stale; fwd-status=502; ttl=-40; detail=origin-unreachable"));
        assertEquals("origin-error (503)", Layers.staleBecauseOriginFailed("edgestack; fwd=stale; fwd-status=503; ttl=-1"));
        assertNull(Layers.staleBecauseOriginFailed("edgestack; fwd=stale; ttl=-3; detail=stale-while-revalidate"),
                "stale-while-revalidate is normal caching");
        assertNull(Layers.staleBecauseOriginFailed("edgestack; hit; ttl=60"));
        assertNull(Layers.staleBecauseOriginFailed(null));
        assertNull(Layers.staleBecauseOriginFailed("garbage;;;,,,\""));
    }
}
