package io.edgestack.cluster;

import java.util.concurrent.atomic.AtomicLong;

import io.netty.channel.Channel;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.streams.WriteStream;

/**
 * The writing end of a client connection that a {@code 101} (or a CONNECT) turned into a raw socket, written straight to
 * its channel. Vert.x 4.5's socket of an upgraded client request ({@code HttpClientRequest.connect()}, then
 * {@code response.netSocket()}) never completes the future of a write but the last one, and says its queue is never
 * full: whatever is written to it piles up in memory as fast as it comes, however slowly the peer reads. Here a write's
 * future completes when Netty has written it, the queue is full while more than the channel's high-water mark
 * (64 KiB) waits, and the drain handler runs once that is below its low-water mark, on the connection's context. The
 * socket's reading side and {@link #end} stay Vert.x's.
 */
public final class UpgradedClientSocket implements WriteStream<Buffer> {

    private final NetSocket socket;
    private final Channel channel;
    private final ContextInternal context;
    private final long high;
    private final long low;
    private final AtomicLong waiting = new AtomicLong();
    private volatile Handler<Void> drainHandler;
    private volatile boolean drainWanted;

    private UpgradedClientSocket(NetSocket socket, ConnectionBase connection) {
        this.socket = socket;
        this.channel = connection.channel();
        this.context = connection.getContext();
        this.high = channel.config().getWriteBufferHighWaterMark();
        this.low = channel.config().getWriteBufferLowWaterMark();
    }

    /**
     * The writing end of {@code response}'s upgraded connection, {@code socket} being {@code response.netSocket()};
     * that socket itself if the connection is not one of Vert.x's own (then writes go as Vert.x makes them).
     */
    public static WriteStream<Buffer> of(HttpClientResponse response, NetSocket socket) {
        return response.request().connection() instanceof ConnectionBase base ? new UpgradedClientSocket(socket, base) : socket;
    }

    @Override
    public Future<Void> write(Buffer data) {
        Promise<Void> written = Promise.promise();
        int size = data.length();
        waiting.addAndGet(size);
        channel.writeAndFlush(data.getByteBuf()).addListener(done -> {
            if (waiting.addAndGet(-size) < low && drainWanted) {
                drainWanted = false;
                Handler<Void> handler = drainHandler;
                if (handler != null) {
                    context.emit(null, handler);
                }
            }
            if (done.isSuccess()) {
                written.complete();
            } else {
                written.fail(done.cause());
            }
        });
        return written.future();
    }

    @Override
    public void write(Buffer data, Handler<AsyncResult<Void>> handler) {
        write(data).onComplete(handler);
    }

    @Override
    public void end(Handler<AsyncResult<Void>> handler) {
        socket.end(handler);
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        socket.exceptionHandler(handler);
        return this;
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
        return this; // the channel's water marks
    }

    @Override
    public boolean writeQueueFull() {
        if (waiting.get() > high) {
            drainWanted = true;
            if (waiting.get() > high) {
                return true;
            }
            drainWanted = false; // drained meanwhile
        }
        return false;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
        this.drainHandler = handler;
        return this;
    }
}
