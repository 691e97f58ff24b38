package io.edgestack.proxy.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void aSplatPassesTheRestOnAndTheFirstRuleThatMatchesWins() {
        assertEquals(new Redirects.Target("https://docs.example.test/guide/start", 308), redirects.target("/docs/guide/start", null));
        assertEquals(new Redirects.Target("https://docs.example.test/", 308), redirects.target("/docs/", null));
        // written after /docs/*, so never reached (as Netlify, Cloudflare Pages and GitLab Pages read them)
        assertEquals(new Redirects.Target("https://docs.example.test/v1/api", 308), redirects.target("/docs/v1/api", null));
        // the rest is decoded in the cleaned path: encoded again in the Location
        assertEquals(new Redirects.Target("https://docs.example.test/caf%C3%A9%20menu", 308), redirects.target("/docs/café menu", null));
        // a plain path written before a pattern that also matches it wins, and one written after does not
        Redirects ordered = new Redirects(List.of(
                Redirects.rule("/shop/sale", "/sale", 302),
                Redirects.rule("/shop/*", "/store/:splat", 301),
                Redirects.rule("/shop/cart", "/cart", 301)));
        assertEquals(new Redirects.Target("/sale", 302), ordered.target("/shop/sale/", null));
        assertEquals(new Redirects.Target("/store/cart", 301), ordered.target("/shop/cart", null));
    }

    @Test
    void placeholdersMatchOneSegmentEachAndAreFilledInWhereverTheTargetNamesThem() {
        Redirects dated = new Redirects(List.of(
                Redirects.rule("/news/:year/:month/:slug", "/blog-:year-:month/:slug.html", 301),
                Redirects.rule("/u/:user/*", "https://:user.example.test/:splat", 302),
                Redirects.rule("/tag/:t", "/tags#:t", 301),
                Redirects.rule("/p/:slug/:slugline", "/:slugline/:slug", 301)));
        assertEquals(new Redirects.Target("/blog-2024-05/hello.html", 301), dated.target("/news/2024/05/hello", null));
        assertEquals(new Redirects.Target("/blog-2024-05/hello.html", 301), dated.target("/news/2024/05/hello/", null));
        assertNull(dated.target("/news/2024/05", null));
        assertNull(dated.target("/news/2024/05/hello/more", null));
        assertEquals(new Redirects.Target("https://ann.example.test/a/b", 302), dated.target("/u/ann/a/b", null));
        assertEquals(new Redirects.Target("/tags?x=1#caf%C3%A9", 301), dated.target("/tag/café", "x=1"));
        assertEquals(new Redirects.Target("/two/one", 301), dated.target("/p/one/two", null), "longer names are filled whole");
    }

    @Test
    void aReleaseMayAlsoRewriteButTheSitesFileOnlyRedirects() {
        Redirects.Rule spa = Redirects.releaseRule("/*", "/index.html", 200, false);
        Redirects withSpa = new Redirects(List.of(spa));
        assertEquals(200, withSpa.match("/any/route").status());
        assertEquals("/index.html", withSpa.match("/").to());
        assertNull(withSpa.target("/any/route", null), "a rewrite is not a redirect");
        assertEquals("status: 200 is not one of 301, 302, 303, 307, 308",
                assertThrows(IllegalArgumentException.class, () -> Redirects.rule("/*", "/index.html", 200)).getMessage());
        Redirects proxied = new Redirects(List.of(Redirects.releaseRule("/api/*", "https://api.example.test/:splat", 200, false)));
        assertTrue(proxied.hasProxies() && proxied.match("/api/v1/users").proxies(), "a rewrite to a URL proxies");
        assertEquals("https://api.example.test/v1/users?page=2", proxied.match("/api/v1/users").location("page=2"));
        assertFalse(withSpa.hasProxies());
        assertEquals("a page with status 404 is a path of the release, not 'https://x.example.test/404'",
                assertThrows(IllegalArgumentException.class,
                        () -> Redirects.releaseRule("/x/*", "https://x.example.test/404", 404, false)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Redirects.releaseRule("/:a/:a", "/x", 301, false)).getMessage().contains("names :a twice"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Redirects.releaseRule("/*/x/*", "/x", 301, false)).getMessage().contains("* at its end"));
    }

    @Test
    void theQueryGoesAlongUnlessTheTargetHasItsOwn() {
        assertEquals(new Redirects.Target("/new?utm=x&y=1", 301), redirects.target("/old", "utm=x&y=1"));
        assertEquals(new Redirects.Target("/find?q=all#top", 302), redirects.target("/search", "q=mine"));
        assertEquals(new Redirects.Target("/?a=1#moved", 301), redirects.target("/gone/", "a=1"));
        assertEquals(new Redirects.Target("/new", 301), redirects.target("/old", ""));
    }

    @Test
    void rulesIndexedByTheirFirstSegmentStillApplyInTheOrderWritten() {
        Redirects mixed = new Redirects(List.of(
                Redirects.rule("/:lang/docs", "/docs?lang=:lang", 302),
                Redirects.rule("/blog/:slug", "/posts/:slug", 301),
                Redirects.rule("/*", "/fallback", 302),
                Redirects.rule("/blog/:slug/amp", "/never", 301)));
        assertEquals(new Redirects.Target("/docs?lang=en", 302), mixed.target("/en/docs", null));
        assertEquals(new Redirects.Target("/posts/x", 301), mixed.target("/blog/x", null));
        assertEquals(new Redirects.Target("/fallback", 302), mixed.target("/blog/x/amp", null), "/* is written before it");
        assertEquals(new Redirects.Target("/fallback", 302), mixed.target("/other", null));
        Redirects wildFirst = new Redirects(List.of(Redirects.rule("/*", "/everything", 302), Redirects.rule("/blog/:slug", "/posts/:slug", 301)));
        assertEquals(new Redirects.Target("/everything", 302), wildFirst.target("/blog/x", null));
        // a WordPress move: thousands of rules, each path tried against those of its first segment only
        List<Redirects.Rule> many = new java.util.ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            many.add(Redirects.rule("/section" + i + "/:slug", "/new/" + i + "/:slug", 301));
        }
        many.add(Redirects.rule("/section42/:slug", "/shadowed", 301));
        Redirects big = new Redirects(many);
        assertEquals(new Redirects.Target("/new/4999/last", 301), big.target("/section4999/last", null));
        assertEquals(new Redirects.Target("/new/42/x", 301), big.target("/section42/x", null));
        assertNull(big.target("/section5000/x", null));
    }

    @Test
    void queryConditionsRestrictARuleToTheParametersTheyName() {
        Redirects redirects = new Redirects(java.util.List.of(
                Redirects.releaseRule("/store", "/blog/:id", 301, false,
                        java.util.List.of(Redirects.QueryCondition.parse("id=:id"))),
                Redirects.releaseRule("/shop/:section", "/:section/:item", 302, false,
                        java.util.List.of(Redirects.QueryCondition.parse("item=:item"), Redirects.QueryCondition.parse("v=2"))),
                Redirects.releaseRule("/store", "/shop", 301, false)));
        assertEquals("/blog/first%20post", redirects.target("/store", "id=first+post&x=1").location());
        assertEquals("/shop?x=1", redirects.target("/store", "x=1").location(), "without the parameter, the next rule");
        assertEquals("/tea/green", redirects.target("/shop/tea", "v=2&item=green").location());
        assertNull(redirects.target("/shop/tea", "v=1&item=green"), "a value written must be the value sent");
        assertNull(redirects.target("/shop/tea", null));
        IllegalArgumentException twice = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Redirects.releaseRule("/a/:id", "/b/:id", 301, false, java.util.List.of(Redirects.QueryCondition.parse("id=:id"))));
        assertEquals("'id=:id' names :id twice", twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Redirects.QueryCondition.parse("=x"));
        assertThrows(IllegalArgumentException.class, () -> Redirects.QueryCondition.parse("id=:1d"));
    }

    @Test
    void aLanguageConditionAsksTheVisitorsAcceptLanguage() {
        List<String> french = List.of("fr");
        assertTrue(Redirects.accepts("fr", french));
        assertTrue(Redirects.accepts("en-GB;q=0.9, fr-CA;q=0.8", french), "a regional variant of the language");
        assertFalse(Redirects.accepts("en, *;q=0.5", french), "a wildcard is no request for French");
        assertFalse(Redirects.accepts("fr;q=0, en", french), "q=0: not French");
        assertFalse(Redirects.accepts("fr;q=zero", french));
        assertFalse(Redirects.accepts(null, french));
        assertFalse(Redirects.accepts("pt", List.of("pt-br")), "a rule for pt-br does not take every Portuguese");
        assertTrue(Redirects.accepts("pt-BR", List.of("pt-br")));
        Redirects rules = new Redirects(List.of(
                Redirects.releaseRule("/", "/fr/", 302, false, List.of(), List.of("fr")),
                Redirects.releaseRule("/", "/en/", 302, false)));
        assertEquals("/fr/", rules.match("/", null, "fr-FR").to());
        assertEquals("/en/", rules.match("/", null, "de").to(), "the next rule, in the file's order");
        assertTrue(rules.dependsOnLanguage("/"));
        assertFalse(rules.dependsOnLanguage("/about"));
    }
}
