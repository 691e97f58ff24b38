package io.edgestack.tunnel.edge;

import java.lang.reflect.Method;

import org.jboss.logging.Logger;

import io.netty.channel.Channel;
import io.quarkus.vertx.http.runtime.filters.QuarkusRequestWrapper;
import io.vertx.core.http.HttpServerRequest;

/**
 * Ends, in Quarkus' eyes, a request of the public port that became a raw socket (a WebSocket through the edge) once
 * its connection closes. Quarkus counts every request until it is done, and waits at shutdown for the count to reach
 * zero (up to {@code quarkus.shutdown.timeout}); it takes a request as done when its answer ends or its connection's
 * close reaches the answer, and neither happens after an upgrade: the answer never ends, and Vert.x hands the
 * connection to the raw socket, so the HTTP layer is not told of the close. Without this, every shutdown after one
 * WebSocket waited out the whole timeout. Quarkus offers no public call for it: its request wrapper's own
 * {@code done()} is called, the one its answer-end and close hooks call.
 */
final class UpgradedRequests {

    private static final Logger LOG = Logger.getLogger(UpgradedRequests.class);
    private static final Method DONE = find();

    private UpgradedRequests() {
    }

    static void doneWhenClosed(HttpServerRequest request, Channel channel) {
        if (DONE == null) {
            return;
        }
        QuarkusRequestWrapper wrapper;
        try {
            wrapper = QuarkusRequestWrapper.get(request);
        } catch (RuntimeException notWrapped) { // not on Quarkus' HTTP server: nothing counts it
            return;
        }
        channel.closeFuture().addListener(closed -> {
            try {
                DONE.invoke(wrapper);
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.debugf("Could not end the upgraded request in Quarkus' count: %s", e);
            }
        });
    }

    private static Method find() {
        try {
            Method done = QuarkusRequestWrapper.class.getDeclaredMethod("done");
            done.setAccessible(true);
            return done;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warnf("Quarkus' request wrapper has no done() (%s): after a WebSocket through the edge, a shutdown waits "
                    + "out quarkus.shutdown.timeout", e);
            return null;
        }
    }
}
