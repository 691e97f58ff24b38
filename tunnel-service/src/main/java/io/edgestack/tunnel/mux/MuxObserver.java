package io.edgestack.tunnel.mux;

/** What a connection reports to metrics. Called on the connection's event loop. */
public interface MuxObserver {

    MuxObserver NONE = new MuxObserver() {
    };

    default void heartbeatRoundTrip(long nanos) {
    }

    default void bytesReceived(long bytes) {
    }

    default void bytesSent(long bytes) {
    }

    default void streamOpened() {
    }

    default void streamClosed() {
    }
}
