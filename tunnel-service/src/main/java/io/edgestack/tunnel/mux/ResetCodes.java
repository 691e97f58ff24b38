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
            default -> "code-" + code;
        };
    }
}
