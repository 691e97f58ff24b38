package io.edgestack.tunnel.protocol;

/**
 * A peer broke the tunnel protocol (malformed, oversized or out-of-place frame, flow-control violation, flood). The
 * connection it arrived on is closed with {@link #getMessage()} as the reason; other connections are not touched.
 */
public class ProtocolException extends RuntimeException {

    public ProtocolException(String reason) {
        super(reason, null, false, false);
    }
}
