package io.edgestack.tunnel.connector;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Reconnect delays: {@code initial × 2^attempt} capped at {@code max}, each multiplied by a jitter factor in
 * [0.8, 1.2) so that many connectors cut off at once do not all come back in the same instant. With the defaults:
 * about 1, 2, 4, 8, 16, 30, 30, … seconds, for ever.
 */
public record Backoff(Duration initial, Duration max, DoubleSupplier random) {

    public Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException(
                    "edgestack.tunnel.connector.reconnect-initial must be positive and no more than reconnect-max");
        }
    }

    /** Delay before attempt {@code attempt} (0 is the first retry). */
    public Duration delay(int attempt) {
        long base = initial.toMillis();
        long capped = max.toMillis();
        long exponential = attempt >= 30 ? capped : Math.min(capped, base << attempt);
        double jitter = 0.8 + 0.4 * random.getAsDouble();
        return Duration.ofMillis(Math.min(capped, Math.round(exponential * jitter)));
    }
}
