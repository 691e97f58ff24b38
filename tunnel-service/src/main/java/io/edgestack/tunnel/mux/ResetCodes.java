package io.edgestack.tunnel.mux;

/** Codes carried by RESET frames (and CONNECTION_LOST, which only the local side reports). */
public final class ResetCodes {

    /** The side that opened or reads the stream no longer wants it (visitor gone). */
    public static final int CANCEL = 1;
    /** The connector could not connect to its local origin: the edge answers 502. */
    public static final int ORIGIN_UNREACHABLE = 2;
    /** The origin did not answer in time: the edge answers 504. */
    public static final int ORIGIN_TIMEOUT = 3;
    /** The stream broke the protocol (bad head, data after the end). */
    public static final int PROTOCOL_ERROR = 4;
    /** Not taken (connection going away, too many streams); nothing reached the origin, so it may be retried. */
    public static final int REFUSED = 5;
    /** Anything else that went wrong on the peer. */
    public static final int INTERNAL = 6;
    /** Not sent on the wire: the connection carrying the stream is gone. */
    public static final int CONNECTION_LOST = 7;
    /**
     * The origin's answer broke HTTP or cannot be carried (a malformed or oversized head, a status outside 100 to 599, a
     * transfer coding other than chunked): the edge answers 502 with {@code http_protocol_error}. An edge older than
     * this code answers it as any other failure, 502.
     */
    public static final int ORIGIN_PROTOCOL_ERROR = 8;

    private ResetCodes() {
    }

    public static String name(int code) {
        return switch (code) {
            case CANCEL -> "cancel";
            case ORIGIN_UNREACHABLE -> "origin-unreachable";
            case ORIGIN_TIMEOUT -> "origin-timeout";
            case PROTOCOL_ERROR -> "protocol-error";
            case REFUSED -> "refused";
            case INTERNAL -> "internal";
            case CONNECTION_LOST -> "connection-lost";
            case ORIGIN_PROTOCOL_ERROR -> "origin-protocol-error";
            default -> "code-" + code;
        };
    }
}
