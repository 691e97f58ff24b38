package io.edgestack.proxy.site;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * A request rate per client address, as nginx's {@code limit_req} and the caddy-ratelimit plugin: {@code requests} per
 * {@code per}, with up to {@code burst} at once; past it a request is refused ({@code 429} with {@code Retry-After}).
 * The generic cell rate algorithm: one number per client (when its next request is due), moved forward with a
 * compare-and-set, so that the event loops share it without a lock. At most 100,000 clients are remembered (the
 * least recent go first; a client forgotten starts with a full burst); each is forgotten once its burst is whole again.
 * A reload of the sites file that leaves a limit as it was keeps what it knows of each client ({@link #carryOver}), as
 * nginx keeps its {@code limit_req} zones across reloads: a reload does not hand every client a fresh burst.
 */
public final class RateLimit {

    /** No limit: a route's {@code rate-limit: {}} lifts its site's. */
    public static final RateLimit NONE = new RateLimit(0, Duration.ofSeconds(1), 0, System::nanoTime);

    private final int requests;
    private final Duration per;
    private final int burst;
    /** Nanoseconds between two requests at the steady rate, and how far ahead of it a burst may go. */
    private final long interval;
    private final long tolerance;
    private final LongSupplier clock;
    /** Set once before the limit serves (by the constructor, or by {@link #carryOver} while the sites are built). */
    private Cache<String, AtomicLong> due;

    public RateLimit(int requests, Duration per, int burst, LongSupplier clock) {
        this.requests = requests;
        this.per = per;
        this.burst = burst;
        this.clock = clock;
        this.interval = requests == 0 ? 0 : Math.max(1, per.toNanos() / requests);
        this.tolerance = interval * Math.max(0, burst - 1);
        this.due = requests == 0 ? null : Caffeine.newBuilder().maximumSize(100_000)
                .expireAfterAccess(Duration.ofNanos(Math.max(interval + tolerance, 1_000_000_000L))).build();
    }

    public RateLimit(int requests, Duration per, int burst) {
        this(requests, per, burst, System::nanoTime);
    }

    /**
     * Takes over the clients of {@code before}, the limit in the same place of the sites in force, when it is the same
     * limit ({@code requests}, {@code per}, {@code burst}); a changed limit starts afresh. Called on a limit not yet
     * serving requests; true when the clients were taken over.
     */
    public boolean carryOver(RateLimit before) {
        if (before == null || isNone() || before.isNone() || requests != before.requests || !per.equals(before.per)
                || burst != before.burst) {
            return false;
        }
        due = before.due;
        return true;
    }

    public boolean isNone() {
        return requests == 0;
    }

    /**
     * Takes one request of {@code client}'s allowance (null: an unknown address, all such share one): 0 when it may go
     * on, else the whole seconds until it may (at least 1), for {@code Retry-After}.
     */
    public long take(String client) {
        AtomicLong next = due.get(client == null ? "" : client, key -> new AtomicLong(Long.MIN_VALUE));
        long now = clock.getAsLong();
        while (true) {
            long current = next.get();
            long from = current == Long.MIN_VALUE || current - now < 0 ? now : current;
            long early = from - tolerance - now;
            if (early > 0) {
                return Math.max(1, (early + 999_999_999L) / 1_000_000_000L);
            }
            if (next.compareAndSet(current, from + interval)) {
                return 0;
            }
        }
    }

    /** As written in the sites file: "10 per 1m, burst 5". */
    @Override
    public String toString() {
        return isNone() ? "none" : requests + " per " + per + ", burst " + burst;
    }
}
