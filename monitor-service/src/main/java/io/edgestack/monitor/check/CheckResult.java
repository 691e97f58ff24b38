package io.edgestack.monitor.check;

import java.time.Instant;

/**
 * What one run of a check found.
 *
 * @param cause {@code ok}, or why it failed: status, timeout, refused, keyword, json, latency, tls, missed-push, error
 * @param status the HTTP status, 0 when there was none
 * @param certDaysLeft days until the peer certificate expires, null when no TLS was involved
 */
public record CheckResult(String check, Instant at, boolean ok, String cause, long latencyMs, int status, String summary,
        Long certDaysLeft) {

    public static CheckResult up(String check, long latencyMs, int status, String summary, Long certDaysLeft) {
        return new CheckResult(check, Instant.now(), true, "ok", latencyMs, status, summary, certDaysLeft);
    }

    public static CheckResult down(String check, String cause, long latencyMs, int status, String summary, Long certDaysLeft) {
        return new CheckResult(check, Instant.now(), false, cause, latencyMs, status, clip(summary), certDaysLeft);
    }

    private static String clip(String text) {
        return text == null || text.length() <= 500 ? text : text.substring(0, 499) + "…";
    }
}
