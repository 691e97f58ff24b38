package io.edgestack.cluster;

import java.nio.charset.StandardCharsets;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;

/**
 * A request line whose version is neither HTTP/1.0 nor HTTP/1.1 ({@code GET / HTTP/9.9}, {@code HTTP/2.0} as text,
 * {@code FOO/1.1}) gets {@code HTTP/1.1 505 HTTP Version Not Supported} and its connection closed (RFC 9110 §15.6.6).
 * Netty parses any {@code NAME/major.minor} as a version and Vert.x hands such a request on with no version, answering
 * it with the request's own version in the status line ({@code HTTP/9.9 200 OK}), which no client can read as HTTP/1.1.
 * Vert.x has built that answer before any handler runs, so this one is written to the connection's Netty pipeline
 * (through its HTTP encoder, and TLS where there is one), with the version this server speaks.
 */
@Singleton
public class UnsupportedVersions {

    /** First of all the routes of a service's HTTP router. */
    public static final int ORDER = Integer.MIN_VALUE + 50;

    /**
     * On the routers of services whose server hands such requests on (deploy, monitor). Off where Vert.x answers them
     * itself before any route (the tunnel edge's public port: {@code edgestack.http.refuse-unknown-versions=false} in
     * tunnel-service), so that visitors' requests do not pass a route that can never act.
     */
    void install(@Observes Router router,
            @ConfigProperty(name = "edgestack.http.refuse-unknown-versions", defaultValue = "true") boolean refuse) {
        if (!refuse) {
            return;
        }
        router.route().order(ORDER).handler(context -> {
            if (!refused(context.request())) {
                context.next();
            }
        });
    }

    /**
     * Answers {@code 505} and closes the connection when {@code request} came with a version this server does not speak;
     * false (and nothing done) for HTTP/1.0, HTTP/1.1 and HTTP/2.
     */
    public static boolean refused(HttpServerRequest request) {
        if (request.version() != null) {
            return false;
        }
        if (!(request.connection() instanceof ConnectionBase connection)) { // not a Vert.x HTTP/1.x connection: end it
            request.connection().close();
            return true;
        }
        FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, Unpooled.copiedBuffer(
                        "505 HTTP Version Not Supported: this server speaks HTTP/1.0, HTTP/1.1 and HTTP/2\n",
                        StandardCharsets.UTF_8));
        answer.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .set(HttpHeaderNames.CONTENT_LENGTH, answer.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        connection.channelHandlerContext().writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
        return true;
    }
}
