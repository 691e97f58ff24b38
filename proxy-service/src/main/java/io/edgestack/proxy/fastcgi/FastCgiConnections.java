package io.edgestack.proxy.fastcgi;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.edgestack.proxy.site.FastCgi;
import io.vertx.core.net.NetSocket;

/**
 * Connections kept open to FastCGI servers for the next request (a route's {@code keepalive}), as nginx's
 * {@code keepalive} with {@code fastcgi_keep_conn on}: at most {@code keepalive} idle connections to a server in all,
 * each kept by the event loop that made it (its handlers run there) and given to that loop's next request, newest
 * first; one idle for longer than {@link #IDLE_NANOS}, or closed by the server meanwhile, is not used. PHP-FPM holds a
 * worker to a kept connection while it is idle: {@code keepalive} must stay below the pool's {@code pm.max_children}.
 */
final class FastCgiConnections {

    /** An idle connection older than this is closed rather than used (PHP-FPM may have given up on it). */
    static final long IDLE_NANOS = 30_000_000_000L;

    private record Idle(NetSocket socket, long since) {
    }

    /** Per server and event loop: each deque is only touched by its own event loop. */
    private final Map<String, Deque<Idle>> idle = new ConcurrentHashMap<>();
    /** Idle connections per server, all event loops together. */
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    private static String key(FastCgi spec) {
        return spec.address() + "@" + Thread.currentThread().getId();
    }

    private AtomicInteger count(FastCgi spec) {
        return counts.computeIfAbsent(spec.address(), k -> new AtomicInteger());
    }

    /** A kept connection of this event loop to the route's server, or null (call on the event loop). */
    NetSocket take(FastCgi spec) {
        Deque<Idle> kept = idle.get(key(spec));
        while (kept != null && !kept.isEmpty()) {
            Idle last = kept.pollLast();
            count(spec).decrementAndGet();
            if (System.nanoTime() - last.since() < IDLE_NANOS) {
                return last.socket();
            }
            last.socket().close();
        }
        return null;
    }

    /**
     * Keeps {@code socket} (its request answered in full, on this event loop) for a next request, or closes it when the
     * route keeps no more.
     */
    void give(FastCgi spec, NetSocket socket) {
        AtomicInteger count = count(spec);
        if (count.incrementAndGet() > spec.keepalive()) {
            count.decrementAndGet();
            socket.close();
            return;
        }
        Deque<Idle> kept = idle.computeIfAbsent(key(spec), k -> new ArrayDeque<>());
        Idle entry = new Idle(socket, System.nanoTime());
        socket.drainHandler(null);
        socket.exceptionHandler(error -> { });
        socket.handler(unasked -> socket.close()); // nothing may come while no request is on it
        socket.closeHandler(v -> {
            if (kept.remove(entry)) {
                count.decrementAndGet();
            }
        });
        socket.resume();
        kept.addLast(entry);
    }
}
