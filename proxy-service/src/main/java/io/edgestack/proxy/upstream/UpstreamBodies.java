package io.edgestack.proxy.upstream;

import java.util.ArrayDeque;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Carries a proxied answer's body from the upstream connection's read buffers to the visitor as they are. Vert.x 4
 * copies every piece of a body it receives into a fresh, zeroed heap array, and the visitor's connection copies that
 * heap piece back into direct memory to write it. Here each piece is written to the visitor's response from the pooled
 * buffer Netty read it into (released once written), and Vert.x gets the same message with an empty piece: its
 * keep-alive, end and error handling go on as before, and so does the exchange's pipe, whose back-pressure (the
 * upstream paused while the visitor's write queue is full, resumed when it drains) sees the pieces written here.
 *
 * <p>Only an answer that the exchange takes while its head is being read here is carried this way (its body can then
 * not have started on Vert.x's path, so the pieces stay in order), only when the visitor's connection runs on the same
 * event loop, and only when nothing else reads the body (the exchange checks that no cache stage stores it).
 */
public final class UpstreamBodies extends ChannelInboundHandlerAdapter {

    private static final String NAME = "edgestack-upstream-bodies";

    /**
     * The largest socket read of an upstream connection (Netty's adaptive reads stop at 64 KiB): a body that is
     * there in full when read, 100 KiB for one, is then read, and written to the visitor, in one system call each.
     */
    public static final int LARGEST_READ = 256 * 1024;
    /** Shared by the connections: each gets its own guess of the next read's size from it. */
    private static final AdaptiveRecvByteBufAllocator READS = new AdaptiveRecvByteBufAllocator(64, 2048, LARGEST_READ);

    private boolean readingHead;
    private HttpServerResponse visitor;
    /** Events of the connection waiting for a task of the event loop (see {@link #later}); those after them wait too. */
    private final ArrayDeque<Runnable> pending = new ArrayDeque<>(4);
    /** Whether events are being handed on ({@link #run}): one that comes meanwhile waits behind them. */
    private boolean running;

    /** Installs the handler on a new upstream connection, just before Vert.x's own, and sets its reads' sizes. */
    public static void install(HttpConnection connection) {
        if (connection instanceof ConnectionBase base) {
            ChannelHandlerContext vertx = base.channelHandlerContext();
            vertx.pipeline().addBefore(vertx.name(), NAME, new UpstreamBodies());
            vertx.channel().config().setRecvByteBufAllocator(READS);
        }
    }

    /**
     * From here on the body of {@code response} goes to {@code visitor} directly, when it can (see the class comment).
     *
     * @return whether it does: the pieces Vert.x hands on are then empty
     */
    static boolean carry(HttpClientResponse response, HttpServerResponse visitor, HttpConnection visitorConnection) {
        if (response.request().connection() instanceof ConnectionBase upstream
                && visitorConnection instanceof ConnectionBase downstream
                && upstream.channel().eventLoop() == downstream.channel().eventLoop()
                && upstream.channel().pipeline().get(NAME) instanceof UpstreamBodies bodies && bodies.readingHead) {
            bodies.visitor = visitor;
            return true;
        }
        return false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (waiting() || visitor != null && msg instanceof HttpContent) {
            later(ctx, () -> read(ctx, msg));
        } else {
            read(ctx, msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (waiting()) {
            later(ctx, ctx::fireChannelReadComplete);
        } else {
            ctx.fireChannelReadComplete();
        }
    }

    /**
     * Hands on at once what waits, then the close: Netty fires this from a task of its own (never from inside its read
     * loop), and takes every handler out of the pipeline right after it, in the same task; events handed on later would
     * find Vert.x's handler gone. (A body that ends with its connection, no length and no chunks, has its end made here
     * by the HTTP decoder: its answer never ended, and the visitor waited for good.)
     */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (running) {
            later(ctx, () -> inactive(ctx));
        } else {
            run();
            inactive(ctx);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (waiting()) {
            later(ctx, () -> ctx.fireExceptionCaught(cause));
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    /**
     * A carried piece is written, and the connection's events that follow it are handed on, in a task of the event
     * loop after the read: a visitor gone is found by that write, which fails the exchange and closes this upstream
     * connection, and a connection closed from inside Netty's read loop had that loop read on from its descriptor (by
     * then another new connection's: a NotYetConnectedException, and that connection lost).
     */
    private void later(ChannelHandlerContext ctx, Runnable event) {
        pending.add(event);
        if (pending.size() == 1 && !running) {
            ctx.executor().execute(this::run);
        }
    }

    private boolean waiting() {
        return running || !pending.isEmpty();
    }

    /** Hands on the events that wait, in order. */
    private void run() {
        if (running) {
            return;
        }
        running = true;
        try {
            Runnable event;
            while ((event = pending.poll()) != null) {
                event.run();
            }
        } finally {
            running = false;
        }
    }

    private void inactive(ChannelHandlerContext ctx) {
        visitor = null;
        ctx.fireChannelInactive();
    }

    private void read(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpResponse) {
            visitor = null;
            readingHead = true;
            try {
                ctx.fireChannelRead(msg);
            } finally {
                readingHead = false;
            }
            return;
        }
        HttpServerResponse to = visitor;
        if (to == null || !(msg instanceof HttpContent content)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (msg instanceof LastHttpContent) {
            visitor = null;
        }
        if (!content.decoderResult().isSuccess() || to.ended() || to.closed() || to.writeQueueFull()) {
            // a malformed piece goes to Vert.x as it came, which fails the answer; a visitor gone: the pipe finds out;
            // a visitor that reads slowly: the piece waits in Vert.x's queue, behind the pipe's back-pressure
            visitor = null;
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf bytes = content.content();
        if (bytes.isReadable()) {
            ByteBuf piece = bytes.retain();
            try {
                // Vert.x writes an unreleasable slice of a buffer it did not allocate: the piece is released here
                to.write(Buffer.buffer(piece)).onComplete(written -> piece.release());
            } catch (IllegalStateException gone) { // the answer ended meanwhile: nothing more can be written
                piece.release();
                visitor = null;
            }
        }
        HttpContent empty = content.replace(Unpooled.EMPTY_BUFFER);
        content.release();
        ctx.fireChannelRead(empty);
    }
}
