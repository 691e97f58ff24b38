package io.edgestack.proxy.upstream;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.impl.ContextInternal;

/**
 * The first-byte timeouts of the upstream requests made on one event loop, kept with one timer for them all.
 *
 * <p>Vert.x's own request timeout arms a timer per request (an entry in a map shared by every event loop and one in
 * Netty's timer queue, both removed again when the answer comes: ~1.5 % of a proxied 1 KiB answer's CPU) and looks at
 * the clock under a lock for every piece of the body. Here a request joins the end of its lane, the list of requests
 * with the same timeout (one per distinct value; a route has one), so each lane is in deadline order; an answer's head
 * takes its request out of the list, and the one timer is set for the earliest deadline at the front of a lane. A
 * request still there at its deadline is reset with a {@link FirstByteTimeoutException} (the exchange answers 504).
 * The timeout ends with the answer's head: a body that stalls afterwards is the upstream connection's idle timeout's.
 *
 * <p>Everything happens on the event loop the request was made on, so nothing is shared or locked.
 */
final class FirstByteDeadlines {

    private static final FastThreadLocal<FirstByteDeadlines> OF_LOOP = new FastThreadLocal<>();

    private final EventLoop loop;
    private Lane[] lanes = new Lane[0];
    private ScheduledFuture<?> sweep;
    private long sweepAt;

    private FirstByteDeadlines(EventLoop loop) {
        this.loop = loop;
    }

    /**
     * Starts the first-byte timeout of a request just made, on the current event loop; the returned watch is to be
     * cancelled when the answer's head arrives or the request fails. Off an event loop, Vert.x's own timeout is used.
     */
    static Watch watch(HttpClientRequest request, long timeoutMillis) {
        if (timeoutMillis <= 0) {
            return Watch.NONE;
        }
        if (Vertx.currentContext() instanceof ContextInternal context && context.isEventLoopContext()
                && context.nettyEventLoop().inEventLoop()) {
            FirstByteDeadlines deadlines = OF_LOOP.get();
            if (deadlines == null || deadlines.loop != context.nettyEventLoop()) {
                deadlines = new FirstByteDeadlines(context.nettyEventLoop());
                OF_LOOP.set(deadlines);
            }
            return deadlines.add(request, timeoutMillis);
        }
        request.idleTimeout(timeoutMillis);
        return Watch.NONE;
    }

    private Watch add(HttpClientRequest request, long timeoutMillis) {
        Lane lane = lane(timeoutMillis);
        Watch watch = new Watch(this, request, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
        lane.append(watch);
        if (sweep == null || watch.deadline - sweepAt < 0) {
            schedule(watch.deadline);
        }
        return watch;
    }

    private Lane lane(long timeoutMillis) {
        for (Lane lane : lanes) {
            if (lane.timeoutMillis == timeoutMillis) {
                return lane;
            }
        }
        Lane lane = new Lane(timeoutMillis);
        lanes = Arrays.copyOf(lanes, lanes.length + 1);
        lanes[lanes.length - 1] = lane;
        return lane;
    }

    private void schedule(long at) {
        if (sweep != null) {
            sweep.cancel(false);
        }
        sweepAt = at;
        sweep = loop.schedule(this::sweep, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Resets the requests whose deadline has passed, and sets the timer for the next deadline. */
    private void sweep() {
        sweep = null;
        long now = System.nanoTime();
        for (Lane lane : lanes) {
            Watch first;
            while ((first = lane.head) != null && first.deadline - now <= 0) {
                lane.remove(first); // before the reset, whose handlers may cancel or add watches
                first.expire(lane.timeoutMillis);
            }
        }
        Watch next = null;
        for (Lane lane : lanes) {
            if (lane.head != null && (next == null || lane.head.deadline - next.deadline < 0)) {
                next = lane.head;
            }
        }
        if (next != null && (sweep == null || next.deadline - sweepAt < 0)) {
            schedule(next.deadline);
        }
    }

    /** The requests of one timeout value, oldest first: a doubly linked list, so that a watch leaves it at once. */
    private static final class Lane {
        final long timeoutMillis;
        Watch head;
        Watch tail;

        Lane(long timeoutMillis) {
            this.timeoutMillis = timeoutMillis;
        }

        void append(Watch watch) {
            watch.lane = this;
            watch.previous = tail;
            if (tail == null) {
                head = watch;
            } else {
                tail.next = watch;
            }
            tail = watch;
        }

        void remove(Watch watch) {
            if (watch.previous == null) {
                head = watch.next;
            } else {
                watch.previous.next = watch.next;
            }
            if (watch.next == null) {
                tail = watch.previous;
            } else {
                watch.next.previous = watch.previous;
            }
            watch.previous = null;
            watch.next = null;
            watch.lane = null;
        }
    }

    /** One request's place in its lane, until its answer's head, its failure or its deadline. */
    static final class Watch {
        static final Watch NONE = new Watch(null, null, 0);

        private final FirstByteDeadlines owner;
        private final HttpClientRequest request;
        private final long deadline;
        private Lane lane;
        private Watch previous;
        private Watch next;

        private Watch(FirstByteDeadlines owner, HttpClientRequest request, long deadline) {
            this.owner = owner;
            this.request = request;
            this.deadline = deadline;
        }

        /** The answer's head arrived or the request failed: the timeout is over. */
        void cancel() {
            if (owner == null) {
                return;
            }
            if (!owner.loop.inEventLoop()) {
                owner.loop.execute(this::cancel);
                return;
            }
            if (lane != null) {
                lane.remove(this);
            }
        }

        private void expire(long timeoutMillis) {
            request.reset(0, new FirstByteTimeoutException(timeoutMillis));
        }
    }

    /**
     * The first-byte timeout of a request whose body is still on its way: it starts when the body has been read in
     * full ({@link #start}, on the request's event loop), unless the answer's head came first ({@link #cancel}).
     */
    static final class Deferred {
        private final HttpClientRequest request;
        private final long timeoutMillis;
        private Watch watch;
        private boolean over;

        Deferred(HttpClientRequest request, long timeoutMillis) {
            this.request = request;
            this.timeoutMillis = timeoutMillis;
        }

        void start() {
            if (!over && watch == null) {
                watch = FirstByteDeadlines.watch(request, timeoutMillis);
            }
        }

        void cancel() {
            over = true;
            if (watch != null) {
                watch.cancel();
            }
        }
    }

    /** No answer's head came from the upstream within the route's first-byte timeout. */
    static final class FirstByteTimeoutException extends RuntimeException {
        FirstByteTimeoutException(long timeoutMillis) {
            super("the upstream sent no answer within the first-byte timeout of " + timeoutMillis + " ms", null, false,
                    false);
        }
    }
}
