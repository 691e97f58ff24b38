package io.edgestack.deploy.release;

import java.time.Instant;
import java.util.List;

/**
 * A release as recorded: where it came from and whether it may be switched to.
 *
 * @param changedFiles the files of the release that differ from the release live before it (added, changed, removed)
 * @param state {@code ready}, {@code refused} (its pre-switch check failed) or {@code failed} (rolled back after an
 *        incident: never switched to again by accident)
 */
public record ReleaseRecord(String site, String name, String commit, String author, String message, List<String> changedFiles,
        long buildMillis, String triggeredBy, long deploymentId, String state, String stateReason, Instant createdAt) {

    public static final String READY = "ready";
    public static final String REFUSED = "refused";
    public static final String FAILED = "failed";

    public boolean switchable() {
        return READY.equals(state);
    }
}
