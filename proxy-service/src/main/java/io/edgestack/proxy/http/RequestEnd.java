package io.edgestack.proxy.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * What runs once a visitor's answer is over: sent in full, failed, or its connection closed first. The actions run
 * once, the last added first (a stage added late, such as a cache store, finishes before the metrics that count the
 * whole request), as Vert.x Web's end handlers did.
 */
public final class RequestEnd implements Handler<Void> {

    private Runnable[] actions = new Runnable[4];
    private int count;
    private boolean done;

    private RequestEnd() {
    }

    /** Watches the response's end, failure and close. */
    public static RequestEnd on(HttpServerResponse response) {
        RequestEnd end = new RequestEnd();
        response.endHandler(end).closeHandler(end).exceptionHandler(error -> end.handle(null));
        return end;
    }

    /**
     * Also over when the visitor's connection closes, for an answer that Vert.x stops following: once a WebSocket
     * upgrade hands the connection to a plain socket, neither the response nor the HTTP connection hears of its close.
     */
    public RequestEnd orConnectionClosed(HttpConnection connection) {
        onClose(connection, () -> handle(null));
        return this;
    }

    /**
     * Runs {@code action} on the connection's event loop when its channel closes, whatever handles the channel by then
     * (the HTTP connection's own close handler is not called after a WebSocket upgrade).
     */
    public static void onClose(HttpConnection connection, Runnable action) {
        if (connection instanceof ConnectionBase base) {
            base.channel().closeFuture().addListener(closed -> action.run());
        } else {
            connection.closeHandler(v -> action.run());
        }
    }

    /** Runs {@code action} when the answer is over, or at once if it is over already. */
    public void add(Runnable action) {
        if (done) {
            action.run();
            return;
        }
        if (count == actions.length) {
            actions = java.util.Arrays.copyOf(actions, count * 2);
        }
        actions[count++] = action;
    }

    @Override
    public void handle(Void ignored) {
        if (done) {
            return;
        }
        done = true;
        for (int i = count - 1; i >= 0; i--) {
            try {
                actions[i].run();
            } catch (RuntimeException e) {
                org.jboss.logging.Logger.getLogger(RequestEnd.class).warn("An action at the end of a request failed", e);
            }
        }
    }
}
