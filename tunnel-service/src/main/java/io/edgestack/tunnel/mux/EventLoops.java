package io.edgestack.tunnel.mux;

import java.util.ArrayList;
import java.util.List;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;

/**
 * Contexts pinned to chosen Vert.x event loops, so that the tunnel's connections are spread over the loops on purpose
 * (Vert.x' own round-robin is shared with every client and server made meanwhile, and put all of a connector's
 * connections on one loop).
 */
public final class EventLoops {

    private EventLoops() {
    }

    /** How many event loops Vert.x runs. */
    public static int count(Vertx vertx) {
        return loops(vertx).size();
    }

    /** A new context on event loop {@code index} (modulo their number). */
    public static Context context(Vertx vertx, int index) {
        List<EventLoop> loops = loops(vertx);
        VertxInternal internal = (VertxInternal) vertx;
        return internal.createEventLoopContext(loops.get(Math.floorMod(index, loops.size())), null,
                Thread.currentThread().getContextClassLoader());
    }

    private static List<EventLoop> loops(Vertx vertx) {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor executor : ((VertxInternal) vertx).getEventLoopGroup()) {
            loops.add((EventLoop) executor);
        }
        return loops;
    }
}
