package io.edgestack.monitor.check;

import java.time.Instant;

/**
 * What one run of a check found.
 *
 * @param ok whether visitors were served: true for a clean answer and for a stale copy
 * @param cause {@code ok}, {@code stale} (served, but from the cache because the origin failed), or why it failed:
 *        status, timeout, refused, keyword, json, latency, tls, dns (no answer), mismatch (answers without an expected
 *        value), missed-push, reported (a push check's job said it failed), error
 * @param status the HTTP status, 0 when there was none
 * @param certDaysLeft days until the peer certificate expires, null when no TLS was involved
 * @param layer the layer of the suite that failed ({@link Layers}: tunnel, proxy, origin) when the answer says, else null
 */
public record CheckResult(String check, Instant at, boolean ok, String cause, long latencyMs, int status, String summary,
        Long certDaysLeft, String layer) {

    public static final String STALE = "stale";
    /** A push check's job said it failed ({@code status=down} on its heartbeat). */
    public static final String REPORTED = "reported";
    /** An https answer came, but its certificate expires within the check's {@code tls-days}: not the release's doing. */
    public static final String CERTIFICATE = "certificate";
    /** An upside-down check's probe got through (a port or address that must not answer did). */
    public static final String UPSIDE_DOWN = "upside-down";
    /** A docker check's container is missing, not running, unhealthy or not healthy yet. */
    public static final String CONTAINER = "container";
    /** A grpc check's server answered, and said it is not serving (or answered the health call with a gRPC error). */
    public static final String GRPC = "grpc";

    public CheckResult(String check, Instant at, boolean ok, String cause, long latencyMs, int status, String summary,
            Long certDaysLeft) {
        this(check, at, ok, cause, latencyMs, status, summary, certDaysLeft, null);
    }

    public static CheckResult up(String check, long latencyMs, int status, String summary, Long certDaysLeft) {
        return new CheckResult(check, Instant.now(), true, "ok", latencyMs, status, summary, certDaysLeft);
    }

    public static CheckResult down(String check, String cause, long latencyMs, int status, String summary, Long certDaysLeft) {
        return new CheckResult(check, Instant.now(), false, cause, latencyMs, status, clip(summary), certDaysLeft);
    }

    /** Visitors got an answer, but the cache's stale copy: the origin behind it failed. */
    public static CheckResult stale(String check, long latencyMs, int status, String summary) {
        return new CheckResult(check, Instant.now(), true, STALE, latencyMs, status, clip(summary), null, Layers.ORIGIN);
    }

    /** The same result with the certificate's days left (of an https answer), or as it is when {@code days} is null. */
    public CheckResult withCertDaysLeft(Long days) {
        return days == null ? this : new CheckResult(check, at, ok, cause, latencyMs, status, summary, days, layer);
    }

    public CheckResult withLayer(String failedLayer) {
        return new CheckResult(check, at, ok, cause, latencyMs, status, summary, certDaysLeft, failedLayer);
    }

    /** Whether this run counts towards an incident: a failure, or a stale copy served in place of a failed origin. */
    public boolean failing() {
        return !ok || STALE.equals(cause);
    }

    /**
     * A check's state for people: {@code down} (incident open), {@code degraded} (served from a stale copy),
     * {@code failing} (failed, not yet declared down), {@code up}, or {@code pending} (not run yet).
     */
    public static String state(Long openIncident, CheckResult last) {
        if (last != null && STALE.equals(last.cause())) {
            return "degraded";
        }
        return openIncident != null ? "down" : last == null ? "pending" : last.ok() ? "up" : "failing";
    }

    private static String clip(String text) {
        return text == null || text.length() <= 500 ? text : text.substring(0, 499) + "…";
    }
}
