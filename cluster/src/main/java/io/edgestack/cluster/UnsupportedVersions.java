package io.edgestack.cluster;

import java.nio.charset.StandardCharsets;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;


import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.http.HttpConnection;
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

    /** On the routers of services whose server hands such requests on (Quarkus' public server: deploy, monitor). */
    void install(@Observes Router router) {
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
        answer(connection.channelHandlerContext());
        return true;
    }

    /**
     * For a server of one's own whose requests Vert.x would answer itself ({@code HTTP/9.9 501}, before any request
     * handler, on a server without a WebSocket handler): from its connection handler, puts a gate in the connection's
     * pipeline, in front of Vert.x's own handler, that answers such a request {@code 505} and drops all that follows on
     * the connection. Requests of HTTP/1.0 and HTTP/1.1 pass at the cost of a type and identity check and a look at their
     * {@code Connection} header ({@link ConnectionClose#closeAmongOptions}); HTTP/2
     * connections have no such requests and get no gate.
     */
    public static void guard(HttpConnection connection) {
        if (connection instanceof ConnectionBase base) {
            ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
            if (pipeline.get("httpDecoder") != null && pipeline.get("handler") != null) {
                pipeline.addBefore("handler", "versionGate", new Gate());
            }
        }
    }

    /** One per HTTP/1.x connection: shut once it has refused a request. */
    private static final class Gate extends ChannelInboundHandlerAdapter {

        private boolean shut;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            if (shut) {
                ReferenceCountUtil.release(message);
                return;
            }
            if (message instanceof HttpRequest request && request.protocolVersion() != HttpVersion.HTTP_1_1
                    && request.protocolVersion() != HttpVersion.HTTP_1_0 && request.decoderResult().isSuccess()) {
                shut = true;
                ReferenceCountUtil.release(message);
                answer(ctx);
                return;
            }
            if (message instanceof HttpRequest request) {
                ConnectionClose.closeAmongOptions(request.headers());
            }
            ctx.fireChannelRead(message);
        }
    }

    private static void answer(ChannelHandlerContext ctx) {
        FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, Unpooled.copiedBuffer(
                        "505 HTTP Version Not Supported: this server speaks HTTP/1.0, HTTP/1.1 and HTTP/2\n",
                        StandardCharsets.UTF_8));
        answer.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .set(HttpHeaderNames.CONTENT_LENGTH, answer.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
    }
}
