package io.edgestack.deploy.deployment;

import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One deployment as stored: a deploy of a git ref, or a rollback to a release.
 *
 * @param kind {@code deploy} or {@code rollback}
 * @param status {@code queued}, {@code running}, {@code succeeded}, {@code failed} or {@code superseded}
 * @param stage where a running deployment is (fetch, build, check, switch, purge), or where a failed one stopped
 * @param trigger what asked for it: github, gitea, gitlab, api, startup, monitor
 */
public record Deployment(long id, String site, String kind, String status, String stage, String ref, String commit,
        String trigger, String triggeredBy, String release, String previousRelease, String reason, String purge,
        Instant createdAt, Instant startedAt, Instant switchedAt, Instant finishedAt, Long buildMillis) {

    public static final String QUEUED = "queued";
    public static final String RUNNING = "running";
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String SUPERSEDED = "superseded";

    @JsonIgnore
    public boolean finished() {
        return !QUEUED.equals(status) && !RUNNING.equals(status);
    }

    /** Milliseconds from start to end (or to now while it runs), null before it starts. */
    @JsonProperty("durationMillis")
    public Long durationMillis() {
        if (startedAt == null) {
            return null;
        }
        return Duration.between(startedAt, finishedAt == null ? Instant.now() : finishedAt).toMillis();
    }
}
