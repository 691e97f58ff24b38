package io.edgestack.proxy.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;

import org.junit.jupiter.api.Test;

class RedirectsTest {

    private final Redirects redirects = new Redirects(List.of(
            Redirects.rule("/old", "/new", 301),
            Redirects.rule("/old", "/second", 302), // the first for a path wins
            Redirects.rule("/docs/*", "https://docs.example.test/:splat", 308),
            Redirects.rule("/docs/v1/*", "/archive/v1/:splat", 301),
            Redirects.rule("/search", "/find?q=all#top", 302),
            Redirects.rule("/gone/", "/#moved", 301)));

    @Test
    void anExactPathMatchesWithOrWithoutItsTrailingSlash() {
        assertEquals(new Redirects.Target("/new", 301), redirects.target("/old", null));
        assertEquals(new Redirects.Target("/new", 301), redirects.target("/old/", null));
        assertEquals(new Redirects.Target("/#moved", 301), redirects.target("/gone", null));
        assertNull(redirects.target("/older", null));
        assertNull(redirects.target("/", null));
    }

    @Test
    void aPrefixPassesTheRestOnAndTheLongestPrefixWins() {
        assertEquals(new Redirects.Target("https://docs.example.test/guide/start", 308), redirects.target("/docs/guide/start", null));
        assertEquals(new Redirects.Target("https://docs.example.test/", 308), redirects.target("/docs/", null));
        assertEquals(new Redirects.Target("/archive/v1/api", 301), redirects.target("/docs/v1/api", null));
        // the rest is decoded in the cleaned path: encoded again in the Location
        assertEquals(new Redirects.Target("https://docs.example.test/caf%C3%A9%20menu", 308), redirects.target("/docs/café menu", null));
    }

    @Test
    void theQueryGoesAlongUnlessTheTargetHasItsOwn() {
        assertEquals(new Redirects.Target("/new?utm=x&y=1", 301), redirects.target("/old", "utm=x&y=1"));
        assertEquals(new Redirects.Target("/find?q=all#top", 302), redirects.target("/search", "q=mine"));
        assertEquals(new Redirects.Target("/?a=1#moved", 301), redirects.target("/gone/", "a=1"));
        assertEquals(new Redirects.Target("/new", 301), redirects.target("/old", ""));
    }
}
