package io.edgestack.proxy.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CacheRulesTest {

    private final CacheRules defaults = new CacheRules(CacheRule.DEFAULTS);

    @Test
    void theFirstMatchingRuleWinsAndAPathWithoutOneGetsNone() {
        CacheRules rules = new CacheRules(List.of(new CacheRule(Pattern.compile("^/a/.*"), "first"),
                new CacheRule(Pattern.compile(".*\\.html$"), "second")));
        assertEquals("first", rules.cacheControlFor("/a/page.html"));
        assertEquals("second", rules.cacheControlFor("/b/page.html"));
        assertNull(rules.cacheControlFor("/b/data"));
        // asked again, from memory: the same answers
        assertEquals("first", rules.cacheControlFor("/a/page.html"));
        assertEquals("second", rules.cacheControlFor("/b/page.html"));
        assertNull(rules.cacheControlFor("/b/data"));
        assertEquals(3, rules.remembered());
    }

    @Test
    void remembersABoundedNumberOfPathsAndStillAnswersTheOthers() {
        for (int i = 0; i < CacheRules.REMEMBERED * 2 + 500; i++) {
            String expected = i % 2 == 0 ? "public, max-age=0, must-revalidate" : null;
            assertEquals(expected, defaults.cacheControlFor("/posts/" + i + (i % 2 == 0 ? "/" : ".json")), "path " + i);
            assertTrue(defaults.remembered() <= CacheRules.REMEMBERED, "paths remembered after path " + i);
        }
        assertEquals("public, max-age=31536000, immutable", defaults.cacheControlFor("/assets/app-0123abcd.js"));
    }

    @Test
    void aPathAskedForAfterAScanOfManyOthersIsRememberedAgain() {
        for (int i = 0; i < CacheRules.REMEMBERED + 10; i++) { // a scanner's distinct paths fill the memory
            defaults.cacheControlFor("/wp-admin/" + i + ".php");
        }
        assertEquals("public, max-age=0, must-revalidate", defaults.cacheControlFor("/"));
        assertTrue(defaults.remembers("/"), "the home page, asked for after the scan, is remembered again");
    }

    @Test
    void aLongPathIsMatchedEveryTimeRatherThanRemembered() {
        String longPath = "/" + "a".repeat(CacheRules.LONGEST_REMEMBERED) + ".html";
        assertEquals("public, max-age=0, must-revalidate", defaults.cacheControlFor(longPath));
        assertEquals("public, max-age=0, must-revalidate", defaults.cacheControlFor(longPath));
        assertEquals(0, defaults.remembered());
    }

    @Test
    void rulesWithTheSamePatternsAndValuesAreEqual() {
        assertEquals(new CacheRules(CacheRule.DEFAULTS), defaults);
        assertEquals(new CacheRules(CacheRule.DEFAULTS).hashCode(), defaults.hashCode());
    }
}
