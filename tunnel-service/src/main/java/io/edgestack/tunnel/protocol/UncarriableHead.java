package io.edgestack.tunnel.protocol;

/**
 * A head this side was about to send that the tunnel cannot carry: too large, or with something the peer's decoder
 * refuses (a status outside 100 to 599, a header name that is not a token, CR, LF or NUL in a value). Checked before
 * it is sent, so that one odd request or answer fails its own stream (431 or 400 to the visitor, 502 for an origin's
 * answer) instead of reaching the peer, which would close the whole connection, and every stream on it, for a
 * {@link ProtocolException}.
 */
public final class UncarriableHead extends RuntimeException {

    private final boolean tooLarge;

    UncarriableHead(String reason, boolean tooLarge) {
        super(reason, null, false, false);
        this.tooLarge = tooLarge;
    }

    /** True when the head is too large (or has too many headers) rather than malformed. */
    public boolean tooLarge() {
        return tooLarge;
    }
}
