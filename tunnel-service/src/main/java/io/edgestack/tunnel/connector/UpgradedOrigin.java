package io.edgestack.tunnel.connector;

import io.netty.channel.Channel;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.streams.WriteStream;

/**
 * Writes to an origin connection that a {@code 101} turned into a raw socket, straight to its channel. Vert.x 4.5's
 * socket of an upgraded client request ({@code HttpClientRequest.connect()}) never completes the future of a write other
 * than the last one, and says its queue is never full. The tunnel gives a stream's bytes back to the edge's window only
 * once they are written, so through that socket a WebSocket stalled for good after its visitor had sent 1 MiB (the
 * window), and the tunnel's buffers of those bytes were never released. Here each write's future completes when Netty
 * has written it, so the window follows what the origin actually takes (backpressure as for any other stream).
 */
final class UpgradedOrigin implements WriteStream<Buffer> {

    private final NetSocket socket;
    private final Channel channel;

    private UpgradedOrigin(NetSocket socket, Channel channel) {
        this.socket = socket;
        this.channel = channel;
    }

    /** The writing end of {@code response}'s upgraded connection; {@code socket} itself if its channel is not at hand. */
    static WriteStream<Buffer> of(HttpClientResponse response, NetSocket socket) {
        return response.request().connection() instanceof ConnectionBase base ? new UpgradedOrigin(socket, base.channel()) : socket;
    }

    @Override
    public Future<Void> write(Buffer data) {
        Promise<Void> written = Promise.promise();
        channel.writeAndFlush(data.getByteBuf()).addListener(done -> {
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
        return this;
    }

    @Override
    public boolean writeQueueFull() {
        return !channel.isWritable();
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
        return this; // the tunnel waits on each write's future instead
    }
}
