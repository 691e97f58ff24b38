package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class LayersTest {

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
