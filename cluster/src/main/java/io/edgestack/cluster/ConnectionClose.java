package io.edgestack.cluster;

import java.util.function.Supplier;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;

/**
 * An answer that ends its HTTP/1.x connection: it says {@code Connection: close} and the connection is closed once the
 * answer is out (RFC 9112 §9.6: the server MUST; Vert.x keeps an HTTP/1.1 connection open unless the request asked
 * otherwise). Over HTTP/2 neither: a connection header is malformed there (RFC 9113 §8.2.2) and made clients refuse the
 * whole connection, and closing it would end every other stream on it; the answer ends its own stream.
 */
public final class ConnectionClose {

    private ConnectionClose() {
    }

    /** Says {@code Connection: close} on the answer of an HTTP/1.x request; true when the connection is to be closed. */
    public static boolean announce(HttpServerRequest request) {
        if (request.version() == HttpVersion.HTTP_2) {
            return false;
        }
        request.response().putHeader("Connection", "close");
        return true;
    }

    /** {@link #announce}, then {@code answer} (which sends it), then the HTTP/1.x connection closed once it is out. */
    public static void answer(HttpServerRequest request, Supplier<? extends Future<?>> answer) {
        boolean close = announce(request);
        Future<?> sent = answer.get();
        if (close) {
            sent.onComplete(done -> request.connection().close());
        }
    }
}
