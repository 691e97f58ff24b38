package io.edgestack.cluster;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * A public server's answer to a request its HTTP decoder could not read (Vert.x' invalid request handler): a request
 * line over the limit → {@code 414}, a head over it → {@code 431}, anything else malformed → {@code 400}; in HTTP/1.1,
 * with a line saying what and a request id, and the connection closed (lingering). Vert.x' own answer was empty and,
 * for a request line it could not read, in HTTP/1.0 ({@code HTTP/1.0 414 Request-URI Too Long},
 * {@code content-length: 0}), where nginx answers an HTTP/1.1 page. It is written to the connection's pipeline, as
 * {@link UnsupportedVersions} does: Vert.x' response to such a request takes the version it failed to read.
 */
public final class InvalidRequests {

    private InvalidRequests() {
    }

    public static void answer(HttpServerRequest request) {
        if (!(request.connection() instanceof ConnectionBase connection)) {
            HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
            return;
        }
        Throwable cause = request.decoderResult().cause();
        HttpResponseStatus status;
        String detail;
        if (cause instanceof TooLongHttpLineException) {
            status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
            detail = "the request line (method, address and version) is longer than this server takes";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
            detail = "the request's headers are larger than this server takes";
        } else {
            status = HttpResponseStatus.BAD_REQUEST;
            detail = "the request could not be read as HTTP";
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String requestId = String.format("%016x%016x", random.nextLong(), random.nextLong());
        FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(
                status.code() + " " + status.reasonPhrase() + ": " + detail + " (request id " + requestId + ")\n",
                StandardCharsets.UTF_8));
        answer.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .set(HttpHeaderNames.CONTENT_LENGTH, answer.content().readableBytes())
                .set("X-Request-Id", requestId)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        // closed lingering: the visitor may still be sending the head that was too large, and a socket closed with
        // unread bytes is reset, which can drop the answer before the visitor reads it
        connection.channelHandlerContext().writeAndFlush(answer)
                .addListener(written -> ConnectionClose.linger(connection.channel()));
    }
}
