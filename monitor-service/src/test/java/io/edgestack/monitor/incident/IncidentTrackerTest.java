package io.edgestack.monitor.incident;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgestack.monitor.check.CheckResult;
import io.edgestack.monitor.check.CheckSpec;

class IncidentTrackerTest {

    private static final CheckSpec SPEC = CheckSpec.parse("web", Map.of("url", "http://x/"),
            new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(10), 3, 2), "p.");

    private static Instant clock = Instant.parse("2026-11-24T10:00:00Z");

    private static CheckResult fail(String cause) {
        clock = clock.plusSeconds(30);
        return new CheckResult("web", clock, false, cause, 5, 500, "HTTP 500 " + cause, null);
    }

    private static CheckResult ok() {
        clock = clock.plusSeconds(30);
        return new CheckResult("web", clock, true, "ok", 5, 200, "HTTP 200", null);
    }

    @Test
    void opensAfterNFailuresAndAFailedRecheckAndResolvesAfterMSuccesses() {
        IncidentTracker tracker = new IncidentTracker();
        assertInstanceOf(IncidentTracker.Nothing.class, tracker.onResult(SPEC, fail("first")));
        assertInstanceOf(IncidentTracker.Nothing.class, tracker.onResult(SPEC, fail("second")));
        assertInstanceOf(IncidentTracker.Recheck.class, tracker.onResult(SPEC, fail("third")));
        IncidentTracker.Open open = assertInstanceOf(IncidentTracker.Open.class, tracker.onResult(SPEC, fail("recheck")));
        assertEquals("first", open.firstFailure().cause(), "the incident keeps the first failing response");
        assertEquals(4, open.failures());
        tracker.opened("web", 7);
        assertInstanceOf(IncidentTracker.Nothing.class, tracker.onResult(SPEC, fail("more")));
        assertInstanceOf(IncidentTracker.Nothing.class, tracker.onResult(SPEC, ok()));
        assertInstanceOf(IncidentTracker.Nothing.class, tracker.onResult(SPEC, fail("again")));
        assertInstanceOf(IncidentTracker.Nothing.class, tracker.onResult(SPEC, ok()));
        assertEquals(7, assertInstanceOf(IncidentTracker.Resolve.class, tracker.onResult(SPEC, ok())).incidentId());
    }

    @Test
    void aRecheckThatSucceedsOpensNothing() {
        IncidentTracker tracker = new IncidentTracker();
        tracker.onResult(SPEC, fail("a"));
        tracker.onResult(SPEC, fail("b"));
        assertInstanceOf(IncidentTracker.Recheck.class, tracker.onResult(SPEC, fail("c")));
        assertInstanceOf(IncidentTracker.Nothing.class, tracker.onResult(SPEC, ok()));
        assertInstanceOf(IncidentTracker.Nothing.class, tracker.onResult(SPEC, fail("d")));
        assertInstanceOf(IncidentTracker.Nothing.class, tracker.onResult(SPEC, fail("e")));
        assertInstanceOf(IncidentTracker.Recheck.class, tracker.onResult(SPEC, fail("f")));
    }

    @Test
    void flappingChecksNeedTwiceTheFailures() {
        IncidentTracker tracker = new IncidentTracker();
        for (int incident = 0; incident < 3; incident++) {
            int failures = 0;
            IncidentTracker.Decision decision;
            do {
                decision = tracker.onResult(SPEC, fail("x"));
                failures++;
            } while (!(decision instanceof IncidentTracker.Open));
            assertEquals(4, failures, "incident " + incident);
            tracker.opened("web", incident);
            tracker.onResult(SPEC, ok());
            assertInstanceOf(IncidentTracker.Resolve.class, tracker.onResult(SPEC, ok()));
        }
        int failures = 0;
        IncidentTracker.Decision decision;
        do {
            decision = tracker.onResult(SPEC, fail("x"));
            failures++;
        } while (!(decision instanceof IncidentTracker.Open));
        assertEquals(7, failures, "3 incidents in 30 minutes: 6 failures and the re-check");
        assertTrue(((IncidentTracker.Open) decision).flapping());
    }

    @Test
    void aRestoredOpenIncidentResolvesAfterARestart() {
        IncidentTracker tracker = new IncidentTracker();
        tracker.restoreOpen("web", 42);
        tracker.onResult(SPEC, ok());
        assertEquals(42, assertInstanceOf(IncidentTracker.Resolve.class, tracker.onResult(SPEC, ok())).incidentId());
    }
}
