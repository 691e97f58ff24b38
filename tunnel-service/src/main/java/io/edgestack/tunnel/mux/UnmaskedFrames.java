package io.edgestack.tunnel.mux;

import java.lang.reflect.Field;
import java.util.ArrayDeque;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;

/**
 * Decodes the tunnel's own WebSocket frames (final, binary, unmasked, no extension bits, as both sides send them) without
 * copying their payload: a frame's payload is a slice of the socket reads it arrived in (several, joined as a
 * composite, when it spans reads); payloads under {@link #COPY_BELOW} bytes are copied. Netty's decoder copies every
 * payload into a new buffer: ~7 % of the edge's CPU on a 1 MiB answer, about as much as the kernel's own copy out of
 * the socket.
 *
 * <p>Installed from the connection's event loop (where the {@link Mux} is made), which is also the only thread that
 * touches the decoders' state.
 *
 * <p>It sits just in front of Netty's decoder. The first frame that is anything else (masked, text, control, a
 * fragment, extension bits, a length that is not minimally encoded or past the limit) and every byte after it go to
 * Netty's decoder as they came, so the close handshake, ping and pong, and every check and error of the WebSocket
 * protocol stay Netty's and Vert.x's. Frames decoded here pass through Netty's decoder untouched (it decodes only
 * bytes), in the order they arrived.
 */
final class UnmaskedFrames extends ChannelInboundHandlerAdapter {

    static final String NAME = "edgestack-tunnel-frame-decoder";
    private static final int FIN_BINARY = 0x82;
    private static final Field CUMULATION = cumulationField();
    /**
     * Payloads shorter than this are copied: a slice keeps its whole read (up to 64 KiB) in memory for as long as the
     * payload waits to be written on, and a window's worth of small frames for a slow visitor would hold a read each.
     * Past it a slice holds at most four times its size; the large DATA frames of a download are all sliced.
     */
    static final int COPY_BELOW = 16 * 1024;

    private final int maxPayload;
    private final ArrayDeque<ByteBuf> reads = new ArrayDeque<>();
    private long queued;
    private boolean delegating;

    UnmaskedFrames(int maxPayload) {
        this.maxPayload = maxPayload;
    }

    /**
     * Installs the decoder in front of the connection's WebSocket decoder if that one holds no bytes of a frame yet (it
     * cannot be known otherwise whether the next byte starts a frame). Returns whether it was installed.
     */
    static boolean install(ChannelPipeline pipeline, int maxPayload) {
        if (pipeline.get(NAME) != null) {
            return true;
        }
        if (!pipeline.channel().eventLoop().inEventLoop()) {
            return false; // the decoder's state can only be read on its own thread
        }
        for (var entry : pipeline) {
            if (entry.getValue() instanceof WebSocketFrameDecoder && entry.getValue() instanceof ByteToMessageDecoder d) {
                if (!holdsNoBytes(d)) {
                    return false;
                }
                pipeline.addBefore(entry.getKey(), NAME, new UnmaskedFrames(maxPayload));
                return true;
            }
        }
        return false;
    }

    private static boolean holdsNoBytes(ByteToMessageDecoder decoder) {
        if (CUMULATION == null) {
            return false;
        }
        try {
            return !(CUMULATION.get(decoder) instanceof ByteBuf held) || !held.isReadable();
        } catch (IllegalAccessException e) {
            return false;
        }
    }

    private static Field cumulationField() {
        try {
            Field field = ByteToMessageDecoder.class.getDeclaredField("cumulation");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // a Netty without the field, or a native image without its reflection metadata (GraalVM throws a
            // LinkageError then): frames go through Netty's decoder, with its copy
            return null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (delegating || !(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!bytes.isReadable()) {
            bytes.release();
            return;
        }
        reads.add(bytes);
        queued += bytes.readableBytes();
        decode(ctx);
    }

    private void decode(ChannelHandlerContext ctx) {
        while (queued >= 2) {
            int first = byteAt(0);
            int second = byteAt(1);
            if (first != FIN_BINARY || (second & 0x80) != 0) {
                delegate(ctx);
                return;
            }
            int length7 = second & 0x7f;
            int headerLength;
            long payload;
            if (length7 < 126) {
                headerLength = 2;
                payload = length7;
            } else if (length7 == 126) {
                if (queued < 4) {
                    return;
                }
                headerLength = 4;
                payload = (byteAt(2) << 8) | byteAt(3);
                if (payload < 126) {
                    delegate(ctx); // not minimally encoded: Netty's decoder says so and closes
                    return;
                }
            } else {
                if (queued < 10) {
                    return;
                }
                headerLength = 10;
                payload = 0;
                for (int i = 2; i < 10; i++) {
                    payload = (payload << 8) | byteAt(i);
                }
                if (payload < 65536) { // also a set top bit (negative): Netty's decoder refuses both
                    delegate(ctx);
                    return;
                }
            }
            if (payload > maxPayload) {
                delegate(ctx); // Netty's decoder closes the connection with "max frame length exceeded"
                return;
            }
            if (queued < headerLength + payload) {
                return;
            }
            skip(headerLength);
            ctx.fireChannelRead(new BinaryWebSocketFrame(take(ctx, (int) payload)));
        }
    }

    private int byteAt(int index) {
        for (ByteBuf read : reads) {
            int readable = read.readableBytes();
            if (index < readable) {
                return read.getUnsignedByte(read.readerIndex() + index);
            }
            index -= readable;
        }
        throw new IndexOutOfBoundsException("byte " + index + " past the bytes received");
    }

    private void skip(int length) {
        queued -= length;
        while (length > 0) {
            ByteBuf read = reads.peek();
            int n = Math.min(length, read.readableBytes());
            read.skipBytes(n);
            length -= n;
            releaseIfRead(read);
        }
    }

    /**
     * The next {@code length} bytes as one buffer: a copy when they are few, otherwise slices that hold their own
     * references to the reads they are in.
     */
    private ByteBuf take(ChannelHandlerContext ctx, int length) {
        if (length == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        queued -= length;
        ByteBuf read = reads.peek();
        boolean copy = length < COPY_BELOW;
        if (!copy && read.readableBytes() >= length) {
            ByteBuf slice = read.readRetainedSlice(length);
            releaseIfRead(read);
            return slice;
        }
        ByteBuf out = copy ? ctx.alloc().directBuffer(length, length)
                : ctx.alloc().compositeDirectBuffer(Integer.MAX_VALUE);
        while (length > 0) {
            read = reads.peek();
            int n = Math.min(length, read.readableBytes());
            if (copy) {
                out.writeBytes(read, n);
            } else {
                ((CompositeByteBuf) out).addComponent(true, read.readRetainedSlice(n));
            }
            length -= n;
            releaseIfRead(read);
        }
        return out;
    }

    private void releaseIfRead(ByteBuf read) {
        if (!read.isReadable()) {
            reads.poll();
            read.release();
        }
    }

    /** From here on every byte goes to Netty's decoder, starting with those held here. */
    private void delegate(ChannelHandlerContext ctx) {
        delegating = true;
        queued = 0;
        ByteBuf read;
        while ((read = reads.poll()) != null) {
            ctx.fireChannelRead(read);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ByteBuf read;
        while ((read = reads.poll()) != null) {
            read.release();
        }
        queued = 0;
    }
}
