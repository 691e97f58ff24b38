package io.edgestack.proxy.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;

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
