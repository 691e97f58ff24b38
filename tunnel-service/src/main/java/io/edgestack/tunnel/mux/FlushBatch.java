package io.edgestack.tunnel.mux;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Writes made on a connection in one turn of its event loop leave in one system call: Vert.x flushes after every write
 * it makes outside a read of that same connection, and the tunnel writes to a connection while reading another (a
 * small answer's RESPONSE, DATA and end frames took three calls; a visitor's body pieces from one read of the tunnel
 * connection one call each). Installed below TLS, so that it encrypts the batch at once.
 */
public final class FlushBatch {

    static final String NAME = "edgestack-flush-batch";

    private FlushBatch() {
    }

    /** Batches the flushes of {@code connection}, once (later calls do nothing). */
    public static void install(HttpConnection connection) {
        if (connection instanceof ConnectionBase base) {
            install(base.channel().pipeline());
        }
    }

    static void install(ChannelPipeline pipeline) {
        if (pipeline.get(NAME) != null) {
            return;
        }
        FlushConsolidationHandler batch = new FlushConsolidationHandler(
                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
        ChannelHandlerContext tls = pipeline.context(SslHandler.class);
        if (tls != null) {
            pipeline.addAfter(tls.name(), NAME, batch);
        } else {
            pipeline.addFirst(NAME, batch);
        }
    }
}
