package io.edgestack.proxy.upstream;

import io.edgestack.cluster.ConnectionClose;
import io.quarkus.vertx.http.runtime.filters.AbstractResponseWrapper;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.core.http.impl.HttpServerRequestWrapper;

/**
 * The visitor's request as vertx-http-proxy sees it, with two changes: its URI may be another (a {@code _redirects}
 * proxy rule's target), and a reset of its response waits for the next turn of the event loop. When a visitor goes away mid-answer, the write that finds its connection closed fails inside
 * Netty's HTTP encoder; vertx-http-proxy resets the response from that failure's callback, and the reset writes into
 * the same encoder again: the pieces of the first write were released twice (an {@code IllegalReferenceCountException}
 * and a "failed to mark a promise as failure" warning in the log for nearly every visitor that left that way).
 * Outside of the encoder's call the reset only closes what is left: the stream of an HTTP/2 answer, the connection of an
 * HTTP/1.1 one.
 */
final class DeferredResetRequest extends HttpServerRequestWrapper {

    private final HttpServerResponse response;
    private final String uri;

    /** @param uri the URI the upstream is asked for, or null for the visitor's */
    DeferredResetRequest(HttpServerRequestInternal request, Context context, String uri) {
        super(request);
        this.uri = uri;
        this.response = new AbstractResponseWrapper(request.response()) {
            @Override
            public boolean reset() {
                return reset(0L);
            }

            @Override
            public boolean reset(long code) {
                if (ended() || closed()) {
                    return false;
                }
                context.runOnContext(v -> ConnectionClose.abort(request, code));
                return true;
            }
        };
    }

    @Override
    public String uri() {
        return uri != null ? uri : super.uri();
    }

    @Override
    public HttpServerResponse response() {
        return response;
    }
}
