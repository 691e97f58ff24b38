package io.edgestack.tunnel.mux;

import java.util.function.Supplier;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/**
 * Moves bytes between Vert.x streams and tunnel streams with backpressure both ways: a source is paused while the
 * tunnel stream's queue is full, and bytes received from the tunnel are given back to the peer's window only once the
 * sink has written them out.
 */
public final class Pipes {

    private Pipes() {
    }

    /** Body of {@code source} into {@code stream}, then the end of the stream. */
    public static void toTunnel(ReadStream<Buffer> source, MuxStream stream) {
        toTunnel(source, stream, null);
    }

    /**
     * Body of {@code source} into {@code stream}, then the end of the stream with the trailer fields {@code trailers}
     * gives once the body has ended (an origin's answer's; null or empty for none).
     */
    public static void toTunnel(ReadStream<Buffer> source, MuxStream stream, Supplier<MultiMap> trailers) {
        stream.drainHandler(v -> source.resume());
        source.handler(chunk -> {
            stream.write(chunk);
            if (stream.writeQueueFull()) {
                source.pause();
                if (!stream.writeQueueFull()) {
                    source.resume(); // drained between the write and the pause
                }
            }
        });
        source.endHandler(v -> stream.end(trailers == null ? null : trailers.get()));
        source.resume();
    }

    /**
     * Bytes received on {@code stream} into {@code sink}; {@code onEnd} runs once the peer ended its side. Each piece is
     * handed back to the stream when its write completes, failed or not (the sink no longer holds it then).
     */
    public static void fromTunnel(MuxStream stream, WriteStream<Buffer> sink, Runnable onEnd) {
        stream.handler(chunk -> {
            Future<Void> written;
            try {
                written = sink.write(chunk);
            } catch (RuntimeException closedSink) {
                stream.consumed(chunk);
                throw closedSink;
            }
            written.onComplete(done -> stream.consumed(chunk));
        });
        stream.endHandler(v -> onEnd.run());
    }

    /** A raw two-way byte tunnel (after a protocol upgrade) between {@code socket} and {@code stream}. */
    public static void socket(io.vertx.core.net.NetSocket socket, MuxStream stream) {
        socket(socket, socket, stream);
    }

    /**
     * As {@link #socket(io.vertx.core.net.NetSocket, MuxStream)}, the bytes from the tunnel written to {@code sink}
     * (which ends the socket when done): for a socket whose own writes do not say when they are done.
     */
    public static void socket(io.vertx.core.net.NetSocket socket, WriteStream<Buffer> sink, MuxStream stream) {
        stream.resetHandler(reset -> socket.close());
        fromTunnel(stream, sink, socket::end);
        socket.closeHandler(v -> {
            if (!stream.isClosed()) {
                stream.reset(ResetCodes.CANCEL, "upgraded connection closed");
            }
        });
        toTunnel(socket, stream);
    }
}
