package io.edgestack.cluster;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * An answer that ends its HTTP/1.x connection: it says {@code Connection: close} and the connection is closed once the
 * answer is out (RFC 9112 §9.6: the server MUST; Vert.x keeps an HTTP/1.1 connection open unless the request asked
 * otherwise). Over HTTP/2 neither: a connection header is malformed there (RFC 9113 §8.2.2) and made clients refuse the
 * whole connection, and closing it would end every other stream on it; the answer ends its own stream.
 *
 * <p>A connection whose request's body is still coming (a {@code 413}, an answer given before the upload ended) is
 * closed lingering, as nginx's {@code lingering_close} and Go's {@code closeWriteAndWait}: a socket closed with unread
 * bytes is reset, and the visitor's system may drop the answer it has not read yet on that reset (the visitor sees its
 * connection reset, not the 413). The write side is shut once the answer is out (a FIN; over TLS without a close_notify,
 * which Netty follows with the close, the answer's own framing telling the visitor it is whole), and what
 * the visitor still sends is read and dropped, below TLS and HTTP, until it closes, {@link #LINGER_SILENCE_MILLIS} pass
 * without a byte or {@link #LINGER_MILLIS} in all; then the socket is closed.
 */
public final class ConnectionClose {

    /** The longest a connection lingers, however much the visitor still sends (nginx's {@code lingering_time}). */
    static final long LINGER_MILLIS = 30_000;
    /** A lingering connection silent this long is closed (nginx's {@code lingering_timeout}). */
    static final long LINGER_SILENCE_MILLIS = 5_000;

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
            sent.onComplete(done -> close(request));
        }
    }

    /**
     * Ends an answer cut short, its head sent and its body not whole, so that the visitor sees it broke rather than a
     * short body: over HTTP/2 its stream alone is reset with {@code code}, the connection's other streams going on; over
     * HTTP/1.x the connection is closed (it can carry no other answer), unless the answer was closed already.
     */
    public static void abort(HttpServerRequest request, long code) {
        if (request.version() == HttpVersion.HTTP_2) {
            request.response().reset(code);
        } else if (!request.response().closed()) {
            request.connection().close();
        }
    }

    /**
     * Closes {@code request}'s HTTP/1.x connection, its answer written: at once when the request's body has all come,
     * else lingering (see the class comment).
     */
    public static void close(HttpServerRequest request) {
        if (request.isEnded() || request.version() == HttpVersion.HTTP_2 || !(request.connection() instanceof ConnectionBase base)) {
            request.connection().close();
            return;
        }
        Channel channel = base.channel();
        if (channel.eventLoop().inEventLoop()) {
            linger(channel);
        } else {
            channel.eventLoop().execute(() -> linger(channel));
        }
    }

    /** Closes {@code channel} lingering (see the class comment), its answer written: from its event loop. */
    static void linger(Channel channel) {
        if (!channel.isActive() || channel.pipeline().get(Lingering.class) != null) {
            return;
        }
        if (!(channel instanceof DuplexChannel duplex)) {
            channel.close();
            return;
        }
        channel.pipeline().addFirst(new Lingering()); // below TLS and HTTP: bytes as they come off the socket
        channel.flush();
        // TLS: no close_notify (Netty's closes the socket once it is out); the answer's own framing says it is whole
        duplex.shutdownOutput();
        channel.config().setAutoRead(true); // Vert.x may have paused reading for the request's body
        channel.read();
    }

    /** Drops what a lingering connection reads; closes it at its end, its silence or its time. */
    private static final class Lingering extends ChannelInboundHandlerAdapter {

        private ScheduledFuture<?> whole;
        private ScheduledFuture<?> silence;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            whole = ctx.executor().schedule(() -> {
                ctx.channel().close();
            }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
            silent(ctx);
        }

        private void silent(ChannelHandlerContext ctx) {
            if (silence != null) {
                silence.cancel(false);
            }
            silence = ctx.executor().schedule(() -> {
                ctx.channel().close();
            }, LINGER_SILENCE_MILLIS, TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            ReferenceCountUtil.release(message);
            silent(ctx);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // not passed on: Vert.x would flush and ask for no more reads
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
                ctx.channel().close(); // the visitor closed its side: all is said
                return;
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            whole.cancel(false);
            silence.cancel(false);
            ctx.fireChannelInactive();
        }
    }

    /**
     * {@code Connection: TE, close} (a list, as curl sends when it asks for trailers): Vert.x compares each
     * {@code Connection} value whole with {@code close}, so the connection stayed open after the answer, where RFC 9112
     * §9.6 says the server closes it. A separate {@code close} value is added, which Vert.x sees; the first value, which
     * names the hop-by-hop headers to strip, is left as it came.
     */
    static void closeAmongOptions(HttpHeaders headers) {
        String options = headers.get(HttpHeaderNames.CONNECTION);
        if (options == null || options.indexOf(',') < 0) {
            return;
        }
        for (String option : options.split(",")) {
            if (option.trim().equalsIgnoreCase("close")) {
                headers.add(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                return;
            }
        }
    }
}
