package io.edgestack.proxy.upstream;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

/**
 * Passive health: {@code maxFailures} failed requests within {@code windowMillis} take an upstream out for
 * {@code cooldownMillis}; it then gets traffic again (and is taken out again if it still fails).
 */
public final class PassiveHealth {

    private final int maxFailures;
    private final long windowMillis;
    private final long cooldownMillis;
    private final LongSupplier clock;
    private final Deque<Long> failures = new ArrayDeque<>();
    private volatile long benchedUntil;

    public PassiveHealth(int maxFailures, long windowMillis, long cooldownMillis, LongSupplier clock) {
        this.maxFailures = maxFailures;
        this.windowMillis = windowMillis;
        this.cooldownMillis = cooldownMillis;
        this.clock = clock;
    }

    public boolean available() {
        return maxFailures <= 0 || clock.getAsLong() >= benchedUntil;
    }

    /** Records a failed request; returns true when this failure takes the upstream out. */
    public synchronized boolean recordFailure() {
        if (maxFailures <= 0) {
            return false;
        }
        long now = clock.getAsLong();
        failures.addLast(now);
        while (!failures.isEmpty() && failures.peekFirst() < now - windowMillis) {
            failures.removeFirst();
        }
        if (failures.size() >= maxFailures && now >= benchedUntil) {
            benchedUntil = now + cooldownMillis;
            failures.clear();
            return true;
        }
        return false;
    }
}
