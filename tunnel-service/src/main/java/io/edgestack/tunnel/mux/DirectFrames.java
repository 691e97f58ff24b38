package io.edgestack.tunnel.mux;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;

/**
 * Takes a tunnel connection's whole binary WebSocket messages (one tunnel frame each) off the Netty pipeline just before
 * Vert.x would see them, and hands their bytes to the {@link Mux} as they are. Vert.x 4 copies every frame it receives
 * into a fresh, zeroed heap array, and a heap buffer is copied once more into direct memory when it is written to the
 * visitor: two copies of every body byte, about a tenth of the edge's CPU on large answers. Fragmented messages,
 * text, ping, pong and close frames go on to Vert.x as before.
 */
final class DirectFrames extends ChannelInboundHandlerAdapter {

    static final String NAME = "edgestack-tunnel-frames";

    private final Mux mux;

    DirectFrames(Mux mux) {
        this.mux = mux;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof BinaryWebSocketFrame frame && frame.isFinalFragment()) {
            mux.onDirectMessage(frame.content()); // the Mux owns (and releases) the frame's bytes from here
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
