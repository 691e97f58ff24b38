package io.edgestack.cluster;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.traffic.GlobalTrafficShapingHandler;
import io.netty.util.AttributeKey;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.HttpServerImpl;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.SslChannelProvider;

/**
 * A visitor has a limited time to send a request's head (request line and header fields), as nginx's
 * {@code client_header_timeout} and Go's {@code ReadHeaderTimeout}: the first head's time runs from the connection's
 * accept (its TLS handshake included), a later head's from its first byte; past it the connection is closed. Without it
 * a client that trickles a head a byte at a time (slowloris) holds a connection for as long as the idle timeout allows,
 * since every byte resets that one; enough of them and no file descriptor is left for real visitors.
 *
 * <p>An idle keep-alive connection is the idle timeout's business, and a request's body is not a head. A server made by
 * {@link #server} marks each accepted channel with a handler in front of all others (it notes that bytes came while no
 * request was under way); {@link #connected}, from the server's connection handler, adds one behind the HTTP decoder (it
 * notes the head complete, then the request's end). Both only set a field: a request costs a few stores. One task per
 * event loop looks, once a second, at the heads on their way on that loop's connections. A connection that became HTTP/2,
 * a WebSocket or a tunnel (a connection handler and no HTTP/1.x decoder) is let go.
 *
 * <p>The hook at accept is needed because Vert.x makes an HTTP/1.x connection, and calls the connection handler, only
 * once the first head has come when h2c is on (its upgrade handler waits for that head's {@code Upgrade} header).
 */
public final class RequestHeadTimeout {

    private static final int IDLE = 0;
    private static final int HEAD = 1;
    private static final int REQUEST = 2;

    private static final AttributeKey<Watch> WATCH = AttributeKey.valueOf(RequestHeadTimeout.class, "watch");
    /** One sweep per event loop, made when its first connection is watched. */
    private static final Map<EventLoop, Sweep> SWEEPS = new ConcurrentHashMap<>();

    private RequestHeadTimeout() {
    }

    /**
     * A Vert.x HTTP server whose connections are watched (see the class comment); {@code onTimeout} runs for each one
     * closed. A timeout of 0 or less gives a plain server. Its connection handler must call {@link #connected}.
     */
    public static HttpServer server(Vertx vertx, HttpServerOptions options, long timeoutMillis, Runnable onTimeout) {
        if (timeoutMillis <= 0) {
            return vertx.createHttpServer(options);
        }
        long limitSeconds = Math.max(1, (timeoutMillis + 999) / 1000);
        return new WatchedServer((VertxInternal) vertx, options, channel -> watch(channel, limitSeconds, onTimeout));
    }

    /** From the server's connection handler: an HTTP/1.x connection's heads are seen complete from now on. */
    public static void connected(HttpConnection connection) {
        if (!(connection instanceof ConnectionBase base)) {
            return;
        }
        Channel channel = base.channelHandlerContext().channel();
        Watch watch = channel.attr(WATCH).get();
        ChannelPipeline pipeline = channel.pipeline();
        if (watch != null && pipeline.get("httpDecoder") != null && pipeline.get("handler") != null
                && pipeline.get("headEnd") == null) {
            pipeline.addBefore("handler", "headEnd", watch.end);
        }
    }

    private static void watch(Channel channel, long limitSeconds, Runnable onTimeout) {
        Watch watch = new Watch(channel.pipeline(), limitSeconds, onTimeout);
        channel.attr(WATCH).set(watch);
        channel.pipeline().addFirst("headStart", watch.start);
        Sweep sweep = SWEEPS.computeIfAbsent(channel.eventLoop(), Sweep::new);
        sweep.watches.add(watch);
        channel.closeFuture().addListener(closed -> sweep.watches.remove(watch));
    }

    /** Vert.x's HTTP server, with a look at each channel it accepts before Vert.x sets it up. */
    private static final class WatchedServer extends HttpServerImpl {

        private final java.util.function.Consumer<Channel> accepted;

        WatchedServer(VertxInternal vertx, HttpServerOptions options, java.util.function.Consumer<Channel> accepted) {
            super(vertx, options);
            this.accepted = accepted;
        }

        @Override
        protected BiConsumer<Channel, SslChannelProvider> childHandler(ContextInternal context, SocketAddress address,
                GlobalTrafficShapingHandler trafficShapingHandler) {
            BiConsumer<Channel, SslChannelProvider> vertxOwn = super.childHandler(context, address, trafficShapingHandler);
            return (channel, ssl) -> {
                accepted.accept(channel);
                vertxOwn.accept(channel, ssl);
            };
        }
    }

    /** The heads on their way on one event loop's connections; touched only on that loop. */
    private static final class Sweep implements Runnable {

        final Set<Watch> watches = Collections.newSetFromMap(new IdentityHashMap<>());

        Sweep(EventLoop loop) {
            loop.scheduleAtFixedRate(this, 1, 1, TimeUnit.SECONDS);
        }

        @Override
        public void run() {
            if (watches.isEmpty()) {
                return;
            }
            for (Watch watch : watches.toArray(new Watch[0])) {
                if (watch.state != HEAD) {
                    continue;
                }
                if (watch.pipeline.get("handler") != null && watch.pipeline.get("httpDecoder") == null) {
                    watches.remove(watch); // HTTP/2, or upgraded: no HTTP/1.x heads any more
                    continue;
                }
                if (++watch.seconds > watch.limitSeconds) {
                    watches.remove(watch);
                    try {
                        watch.onTimeout.run();
                    } finally {
                        watch.pipeline.channel().close();
                    }
                }
            }
        }
    }

    private static final class Watch {

        final ChannelPipeline pipeline;
        final long limitSeconds;
        final Runnable onTimeout;
        /** The first head's time runs from the accept. */
        int state = HEAD;
        /** Sweeps seen while this head was on its way. */
        long seconds;

        final ChannelInboundHandlerAdapter start = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object message) {
                if (state == IDLE) {
                    state = HEAD;
                    seconds = 0;
                }
                ctx.fireChannelRead(message);
            }
        };

        final ChannelInboundHandlerAdapter end = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object message) {
                if (message instanceof HttpRequest) {
                    state = REQUEST;
                }
                if (message instanceof LastHttpContent) {
                    state = IDLE;
                }
                ctx.fireChannelRead(message);
            }
        };

        Watch(ChannelPipeline pipeline, long limitSeconds, Runnable onTimeout) {
            this.pipeline = pipeline;
            this.limitSeconds = limitSeconds;
            this.onTimeout = onTimeout;
        }
    }
}
