package io.edgestack.tunnel.connector;

import io.edgestack.tunnel.mux.MuxStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Carries an origin answer's body from the origin connection's read buffers into its tunnel stream as they are. Vert.x
 * 4 copies every piece of a body it receives into a fresh, zeroed heap array, and the tunnel connection copies a heap
 * piece once more into direct memory to write it: a tenth of the connector's CPU on large answers. Vert.x still sees
 * every message of the answer (its pieces empty), so its keep-alive, end and error handling go on as before.
 *
 * <p>Only an answer whose handler takes it while its head is being read here is carried this way: its body can then
 * not have started on Vert.x's path, so the pieces stay in order.
 */
final class OriginBodies extends ChannelInboundHandlerAdapter {

    private static final String NAME = "edgestack-origin-bodies";

    private boolean readingHead;
    private MuxStream stream;
    private HttpClientResponse response;

    /** Installs the handler on a new origin connection, just before Vert.x's own. */
    static void install(HttpConnection connection) {
        if (connection instanceof ConnectionBase base) {
            ChannelHandlerContext vertx = base.channelHandlerContext();
            vertx.pipeline().addBefore(vertx.name(), NAME, new OriginBodies());
        }
    }

    /**
     * The body of {@code response} goes into {@code stream} from here when it can (see the class comment); otherwise
     * it comes through Vert.x as usual.
     */
    static void carry(HttpClientResponse response, MuxStream stream) {
        if (response.request().connection() instanceof ConnectionBase base
                && base.channel().pipeline().get(NAME) instanceof OriginBodies bodies && bodies.readingHead) {
            bodies.stream = stream;
            bodies.response = response;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpResponse) {
            stream = null;
            readingHead = true;
            try {
                ctx.fireChannelRead(msg);
            } finally {
                readingHead = false;
            }
            return;
        }
        MuxStream to = stream;
        if (to == null || !(msg instanceof HttpContent content)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!content.decoderResult().isSuccess()) {
            stream = null; // a malformed piece goes to Vert.x as it came, which fails the answer
            response = null;
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf bytes = content.content();
        if (bytes.isReadable()) {
            to.write(bytes.retain());
            if (to.writeQueueFull()) {
                response.pause(); // resumed by the stream's drain handler (Pipes.toTunnel)
            }
        }
        if (msg instanceof LastHttpContent) {
            stream = null;
            response = null;
        }
        HttpContent empty = content.replace(Unpooled.EMPTY_BUFFER);
        content.release();
        ctx.fireChannelRead(empty);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stream = null;
        response = null;
        ctx.fireChannelInactive();
    }
}
