package io.edgestack.proxy.fastcgi;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.edgestack.proxy.site.FastCgi;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * The connections of a route with {@code keepalive: N} to its FastCGI server: at most N open at once, all event loops
 * together, each kept open between requests (FCGI_KEEP_CONN) and used again, newest first; a request that finds all N
 * busy waits for one, first come first served; one idle for {@link #IDLE_NANOS} is closed. PHP-FPM binds a worker to
 * a connection for as long as it is open, idle or not, so with N at most {@code pm.max_children} no connection ever
 * waits in PHP-FPM's backlog behind workers that idle connections hold (what made the p99 of the earlier per-loop cache
 * of idle connections 369 ms in bench/php, where new connections were dialled past the kept ones).
 *
 * <p>A connection belongs to the event loop that dialled it (its handlers run there), and each loop keeps its own idle
 * connections and waiting requests ({@link Lane}), touched only on that loop. The N places are counted per server
 * ({@link Server#open}); a place is freed when its connection closes, whatever closed it, and goes to a request
 * waiting the longest, on whichever loop (that loop dials for it), else back to the count: first come first served
 * across the loops, where a loop that served its own first starved the others' requests. A connection whose request is
 * answered goes straight to the next request of its own loop, unless a request on another loop has waited for more
 * than {@link #FAIR_NANOS}: then it is closed, its place passing on. A request that finds no place while another loop
 * has idle connections asks that loop to close its oldest one, so a place never stays idle on one loop while requests
 * wait on another.
 */
final class FastCgiConnections {

    /**
     * An idle connection is closed after this long (checked every {@link #SWEEP_MILLIS} while a loop has some): it holds
     * a PHP-FPM worker that another client of the pool (a cron job, another site) may be waiting for.
     */
    static final long IDLE_NANOS = 10_000_000_000L;
    static final long SWEEP_MILLIS = 2_000;
    /**
     * A connection whose request is answered goes on to the next request of its own loop (no new connection) unless a
     * request on another loop has waited longer than this: then it is closed and its place goes to that request.
     */
    static final long FAIR_NANOS = 20_000_000L;

    /** A request waiting for a connection. */
    interface Waiter {

        /**
         * On the waiter's event loop: {@code kept} is an idle connection to use (bodiless requests only), or null: a
         * place is the waiter's to dial a connection of its own (or to give back with {@link #unused}).
         */
        void ready(NetSocket kept);

        /** Whether it can use a kept connection (a request without a body: it can be sent again on a new one). */
        boolean bodiless();
    }

    private record Idle(NetSocket socket, long since) {
    }

    private record Queued(Waiter waiter, long ticket, long since) {
    }

    /** One FastCGI server's places, the event loops' lanes to it, and the tickets that order its waiting requests. */
    private static final class Server {
        final int limit;
        final AtomicInteger open = new AtomicInteger();
        final AtomicLong tickets = new AtomicLong();
        final Map<Thread, Lane> lanes = new ConcurrentHashMap<>();

        Server(int limit) {
            this.limit = limit;
        }

        boolean claim() {
            for (;;) {
                int now = open.get();
                if (now >= limit) {
                    return false;
                }
                if (open.compareAndSet(now, now + 1)) {
                    return true;
                }
            }
        }

        /** The lane whose first waiting request came first of all, or null when none waits. */
        Lane oldest() {
            Lane found = null;
            long ticket = Long.MAX_VALUE;
            for (Lane lane : lanes.values()) {
                long first = lane.firstTicket;
                if (first < ticket) {
                    ticket = first;
                    found = lane;
                }
            }
            return found;
        }
    }

    /** One event loop's idle connections and waiting requests to one server; touched only on that loop. */
    private static final class Lane {
        final Context context;
        final ArrayDeque<Idle> idle = new ArrayDeque<>();
        final ArrayDeque<Queued> waiting = new ArrayDeque<>();
        /** For other loops to look at: how many idle connections, the first waiting request's ticket (MAX: none). */
        volatile int idleCount;
        volatile long firstTicket = Long.MAX_VALUE;
        /** When the first waiting request started waiting (System.nanoTime). */
        volatile long firstSince;
        /** The periodic sweep of {@link #closeIdle}, on while there are idle connections; -1: off. */
        long sweep = -1;

        final AtomicInteger sweeps;

        Lane(Context context, AtomicInteger sweeps) {
            this.context = context;
            this.sweeps = sweeps;
        }

        /** A connection was made idle: the sweep runs (a server gone from the sites after a reload keeps no timer). */
        void sweeping() {
            if (sweep < 0) {
                sweep = context.owner().setPeriodic(SWEEP_MILLIS, id -> context.runOnContext(v -> closeIdle()));
                sweeps.incrementAndGet();
            }
        }

        void counted() {
            idleCount = idle.size();
            Queued first = waiting.peekFirst();
            firstTicket = first == null ? Long.MAX_VALUE : first.ticket();
            firstSince = first == null ? 0 : first.since();
        }

        /** Closes the connections idle for longer than {@link #IDLE_NANOS}, oldest first (their places are freed). */
        void closeIdle() {
            long now = System.nanoTime();
            Idle oldest;
            while ((oldest = idle.peekFirst()) != null && now - oldest.since() >= IDLE_NANOS) {
                idle.pollFirst();
                oldest.socket().close();
            }
            counted();
            if (idle.isEmpty() && sweep >= 0) {
                context.owner().cancelTimer(sweep);
                sweep = -1;
                sweeps.decrementAndGet();
            }
        }
    }

    /** The lanes' idle-connection sweeps running now. */
    private final AtomicInteger sweeps = new AtomicInteger();

    private final Map<String, Server> servers = new ConcurrentHashMap<>();

    private Server server(FastCgi spec) {
        return servers.computeIfAbsent(spec.address() + "#" + spec.keepalive(), k -> new Server(spec.keepalive()));
    }

    private Lane lane(Server server) {
        return server.lanes.computeIfAbsent(Thread.currentThread(),
                t -> new Lane(((ContextInternal) Vertx.currentContext()).unwrap(), sweeps)); // the loop's, not a request's
    }

    /** The idle-connection sweeps running now: one per event loop and server while it keeps idle connections. */
    int sweeps() {
        return sweeps.get();
    }

    /**
     * On the request's event loop: {@code waiter} is handed a connection or a place, now or once one is free (it waits
     * until {@link #cancel}).
     */
    void acquire(FastCgi spec, Waiter waiter) {
        Server server = server(spec);
        Lane lane = lane(server);
        if (lane.waiting.isEmpty() && server.oldest() == null) { // nobody is ahead of it
            if (waiter.bodiless()) {
                Idle last;
                while ((last = lane.idle.pollLast()) != null) {
                    lane.counted();
                    if (System.nanoTime() - last.since() < IDLE_NANOS && open(last.socket())) {
                        waiter.ready(last.socket());
                        return;
                    }
                    last.socket().close(); // its place is freed as it closes
                }
            }
            if (server.claim()) {
                waiter.ready(null);
                return;
            }
        }
        lane.waiting.addLast(new Queued(waiter, server.tickets.incrementAndGet(), System.nanoTime()));
        lane.counted(); // said before looking for a place again: one freed meanwhile finds this request waiting
        if (!lane.idle.isEmpty()) { // a request with a body, or one behind others: an idle connection here makes room
            lane.idle.pollFirst().socket().close();
            lane.counted();
            return;
        }
        if (server.claim()) {
            give(server, lane);
            return;
        }
        for (Lane other : server.lanes.values()) { // a place idle on another loop: that loop lets it go
            if (other != lane && other.idleCount > 0) {
                other.context.runOnContext(v -> {
                    Idle oldest = other.idle.pollFirst();
                    other.counted();
                    if (oldest != null) {
                        oldest.socket().close();
                    }
                });
                break;
            }
        }
    }

    /** On the waiter's event loop: it no longer waits (timed out, or its visitor left); false if it was not waiting. */
    boolean cancel(FastCgi spec, Waiter waiter) {
        Lane lane = lane(server(spec));
        boolean removed = lane.waiting.removeIf(queued -> queued.waiter() == waiter);
        lane.counted();
        return removed;
    }

    /**
     * On the event loop of a connection just dialled with a place: its place is freed when it closes, however it does.
     */
    void opened(FastCgi spec, NetSocket socket) {
        Server server = server(spec);
        Lane lane = lane(server);
        if (socket instanceof ConnectionBase base) {
            base.channel().closeFuture().addListener(closed -> give(server, lane));
        } else {
            socket.closeHandler(v -> give(server, lane));
        }
    }

    /** A place handed by {@link Waiter#ready} with null that was not used for a connection (the request is over). */
    void unused(FastCgi spec) {
        Server server = server(spec);
        give(server, lane(server));
    }

    /**
     * On its event loop: {@code socket}'s request was answered in full, it may serve again: to this loop's first waiting
     * request unless one on another loop has waited for longer than {@link #FAIR_NANOS} (then closed, its place going
     * to the one that has waited the longest); kept idle when no request waits.
     */
    void release(FastCgi spec, NetSocket socket) {
        Server server = server(spec);
        Lane lane = lane(server);
        socket.drainHandler(null);
        socket.exceptionHandler(error -> { });
        Lane oldest = server.oldest();
        if (oldest != null) {
            Queued next = lane.waiting.peekFirst();
            if (next != null && next.waiter().bodiless()
                    && (oldest == lane || System.nanoTime() - oldest.firstSince < FAIR_NANOS)) {
                lane.waiting.pollFirst();
                lane.counted();
                socket.handler(null);
                socket.resume();
                next.waiter().ready(socket);
            } else {
                socket.close(); // its place goes to the request that has waited the longest as it closes
            }
            return;
        }
        Idle entry = new Idle(socket, System.nanoTime());
        socket.handler(unasked -> socket.close()); // nothing may come while no request is on it
        socket.closeHandler(v -> {
            lane.idle.remove(entry);
            lane.counted();
        });
        socket.resume();
        lane.idle.addLast(entry);
        lane.sweeping();
        lane.counted(); // said before looking at the waiting requests again, which look here after saying they wait
        if (server.oldest() != null && lane.idle.remove(entry)) {
            lane.counted();
            socket.close();
        }
    }

    /**
     * On {@code lane}'s loop, holding a place: to the request that has waited the longest (on its own loop), else back
     * to the count; should a request have started waiting meanwhile, it is claimed again for it.
     */
    private void give(Server server, Lane lane) {
        Lane target = server.oldest();
        if (target == lane) {
            Queued first = lane.waiting.pollFirst();
            lane.counted();
            if (first != null) {
                first.waiter().ready(null);
                return;
            }
            target = server.oldest();
        }
        if (target != null) {
            Lane to = target;
            to.context.runOnContext(v -> give(server, to));
            return;
        }
        server.open.decrementAndGet();
        Lane late = server.oldest();
        if (late != null && server.claim()) {
            late.context.runOnContext(v -> give(server, late));
        }
    }

    private static boolean open(NetSocket socket) {
        return !(socket instanceof ConnectionBase base) || base.channel().isActive();
    }
}
