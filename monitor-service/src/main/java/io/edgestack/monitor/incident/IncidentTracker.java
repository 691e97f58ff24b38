package io.edgestack.monitor.incident;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.edgestack.monitor.check.CheckResult;
import io.edgestack.monitor.check.CheckSpec;

/**
 * Turns a check's results into incidents: down after {@code failures-before-down} consecutive failures and one
 * immediate re-check that fails too; up after {@code successes-before-up} consecutive successes. Flapping is damped: a
 * check that opened 3 incidents in the last 30 minutes needs twice the failures before the next one.
 */
public final class IncidentTracker {

    static final int FLAP_OPENS = 3;
    static final Duration FLAP_WINDOW = Duration.ofMinutes(30);

    /** What to do after a result. */
    public sealed interface Decision {
    }

    /** Nothing changes. */
    public record Nothing() implements Decision {
    }

    /** Run the check again now, to confirm before declaring it down. */
    public record Recheck() implements Decision {
    }

    /** Declare it down: an incident opens with the first failing result of the run. */
    public record Open(CheckResult firstFailure, int failures, boolean flapping) implements Decision {
    }

    /** It is up again: resolve the open incident. */
    public record Resolve(long incidentId) implements Decision {
    }

    private static final class State {
        int failures;
        int successes;
        boolean confirming;
        Long openIncident;
        CheckResult firstFailure;
        final Deque<Instant> opens = new ArrayDeque<>();
    }

    private final Map<String, State> states = new ConcurrentHashMap<>();

    /** After a restart: the check has this incident open. */
    public void restoreOpen(String check, long incidentId) {
        State state = states.computeIfAbsent(check, c -> new State());
        synchronized (state) {
            state.openIncident = incidentId;
        }
    }

    public void opened(String check, long incidentId) {
        State state = states.computeIfAbsent(check, c -> new State());
        synchronized (state) {
            state.openIncident = incidentId;
        }
    }

    public Long openIncident(String check) {
        State state = states.get(check);
        return state == null ? null : state.openIncident;
    }

    public void forget(String check) {
        states.remove(check);
    }

    public Decision onResult(CheckSpec spec, CheckResult result) {
        return onResult(spec, result, false);
    }

    /**
     * @param hold the check's site is inside a deploy's own window: failures still count, but the incident is decided
     *        only once the window has closed (at the next failing result after it; a recovery opens nothing)
     */
    public Decision onResult(CheckSpec spec, CheckResult result, boolean hold) {
        State state = states.computeIfAbsent(spec.name(), c -> new State());
        synchronized (state) {
            if (!result.failing()) {
                state.failures = 0;
                state.confirming = false;
                state.firstFailure = null;
                state.successes++;
                if (state.openIncident != null && state.openIncident >= 0 && state.successes >= spec.successesBeforeUp()) {
                    long id = state.openIncident;
                    state.openIncident = null;
                    return new Resolve(id);
                }
                return new Nothing();
            }
            state.successes = 0;
            if (state.openIncident != null) {
                return new Nothing();
            }
            state.failures++;
            if (state.firstFailure == null) {
                state.firstFailure = result;
            }
            Instant now = result.at();
            while (!state.opens.isEmpty() && state.opens.peekFirst().isBefore(now.minus(FLAP_WINDOW))) {
                state.opens.removeFirst();
            }
            boolean flapping = state.opens.size() >= FLAP_OPENS;
            int needed = spec.failuresBeforeDown() * (flapping ? 2 : 1);
            if (state.failures < needed || hold) {
                return new Nothing();
            }
            if (!state.confirming) {
                state.confirming = true;
                return new Recheck();
            }
            state.confirming = false;
            state.opens.addLast(now);
            state.openIncident = -1L; // until opened() gives the stored id
            CheckResult first = state.firstFailure;
            int failures = state.failures;
            state.failures = 0;
            state.firstFailure = null;
            return new Open(first, failures, flapping);
        }
    }
}
