package io.edgestack.proxy.fastcgi;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.edgestack.proxy.site.FastCgi;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * The connections of a route with {@code keepalive: N} to its FastCGI server: at most N open at once, all event loops
 * together, each kept open between requests (FCGI_KEEP_CONN) and used again, newest first; a request that finds all N
 * busy waits for one, first come first served. PHP-FPM binds a worker to a connection for as long as it is open, idle
 * or not, so with N at most {@code pm.max_children} no connection ever waits in PHP-FPM's backlog behind workers that
 * idle connections hold (what made the p99 of the earlier per-loop cache of idle connections 369 ms in bench/php, where
 * new connections were dialled past the kept ones).
 *
 * <p>A connection belongs to the event loop that dialled it (its handlers run there), and each loop keeps its own idle
 * connections and waiting requests ({@link Lane}), touched only on that loop. The N places are counted per server
 * ({@link Server#open}); a place is freed when its connection closes, whatever closed it, and goes to a request
 * waiting on the same loop, else to one waiting on another loop (that loop dials for it), else back to the count. A
 * request that finds no place while another loop has idle connections asks that loop to close its oldest one, so a
 * place never stays idle on one loop while requests wait on another. An idle connection older than {@link #IDLE_NANOS}
 * is closed rather than used.
 */
final class FastCgiConnections {

    /** An idle connection older than this is closed rather than used (PHP-FPM may have given up on it). */
    static final long IDLE_NANOS = 30_000_000_000L;

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

    /** One FastCGI server's places and the event loops' lanes to it. */
    private static final class Server {
        final int limit;
        final AtomicInteger open = new AtomicInteger();
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
    }

    /** One event loop's idle connections and waiting requests to one server; touched only on that loop. */
    private static final class Lane {
        final Context context;
        final ArrayDeque<Idle> idle = new ArrayDeque<>();
        final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
        /** The deques' sizes, for other loops to look at. */
        volatile int idleCount;
        volatile int waitingCount;

        Lane(Context context) {
            this.context = context;
        }

        void counted() {
            idleCount = idle.size();
            waitingCount = waiting.size();
        }
    }

    private final Map<String, Server> servers = new ConcurrentHashMap<>();

    private Server server(FastCgi spec) {
        return servers.computeIfAbsent(spec.address() + "#" + spec.keepalive(), k -> new Server(spec.keepalive()));
    }

    private static Lane lane(Server server) {
        return server.lanes.computeIfAbsent(Thread.currentThread(),
                t -> new Lane(((ContextInternal) Vertx.currentContext()).unwrap())); // the loop's, not a request's
    }

    /**
     * On the request's event loop: {@code waiter} is handed a connection or a place, now or once one is free (it waits
     * until {@link #cancel}).
     */
    void acquire(FastCgi spec, Waiter waiter) {
        Server server = server(spec);
        Lane lane = lane(server);
        try {
            if (waiter.bodiless()) {
                while (!lane.idle.isEmpty()) {
                    Idle last = lane.idle.pollLast();
                    if (System.nanoTime() - last.since() < IDLE_NANOS && open(last.socket())) {
                        waiter.ready(last.socket());
                        return;
                    }
                    last.socket().close(); // its place is freed as it closes
                }
            } else if (!lane.idle.isEmpty()) { // a body is sent on a new connection: an idle one makes room for it
                lane.waiting.addLast(waiter);
                lane.counted();
                lane.idle.pollFirst().socket().close(); // its place goes to the first waiting here as it closes
                return;
            }
            if (server.claim()) {
                waiter.ready(null);
                return;
            }
            lane.waiting.addLast(waiter);
            lane.counted(); // said before looking at the other loops, which look here after saying what they keep
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
        } finally {
            lane.counted();
        }
    }

    /** On the waiter's event loop: it no longer waits (timed out, or its visitor left); false if it was not waiting. */
    boolean cancel(FastCgi spec, Waiter waiter) {
        Lane lane = lane(server(spec));
        boolean removed = lane.waiting.remove(waiter);
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
            base.channel().closeFuture().addListener(closed -> freed(server, lane));
        } else {
            socket.closeHandler(v -> freed(server, lane));
        }
    }

    /** A place handed by {@link Waiter#ready} with null that was not used for a connection (the request is over). */
    void unused(FastCgi spec) {
        Server server = server(spec);
        freed(server, lane(server));
    }

    /**
     * On its event loop: {@code socket}'s request was answered in full, it may serve again: to the first request waiting
     * here, else (closed) to one waiting elsewhere, else kept idle.
     */
    void release(FastCgi spec, NetSocket socket) {
        Server server = server(spec);
        Lane lane = lane(server);
        socket.drainHandler(null);
        socket.exceptionHandler(error -> { });
        Waiter next = lane.waiting.peekFirst();
        if (next != null) {
            if (next.bodiless()) {
                lane.waiting.pollFirst();
                lane.counted();
                socket.handler(null);
                socket.resume();
                next.ready(socket);
            } else {
                socket.close(); // its place goes to that request as it closes
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
        lane.counted(); // said before looking at the other loops, which look here after saying they wait
        if (waitingElsewhere(server, lane) != null && lane.idle.remove(entry)) {
            lane.counted();
            socket.close(); // its place goes to a request waiting on another loop as it closes
        }
    }

    /** On {@code lane}'s loop: a place is free: to a request waiting here, else elsewhere, else back to the count. */
    private void freed(Server server, Lane lane) {
        Waiter first = lane.waiting.pollFirst();
        lane.counted();
        if (first != null) {
            first.ready(null);
            return;
        }
        Lane other = waitingElsewhere(server, lane);
        if (other == null) {
            server.open.decrementAndGet();
            return;
        }
        other.context.runOnContext(v -> freed(server, other));
    }

    private static Lane waitingElsewhere(Server server, Lane lane) {
        for (Lane other : server.lanes.values()) {
            if (other != lane && other.waitingCount > 0) {
                return other;
            }
        }
        return null;
    }

    private static boolean open(NetSocket socket) {
        return !(socket instanceof ConnectionBase base) || base.channel().isActive();
    }
}
