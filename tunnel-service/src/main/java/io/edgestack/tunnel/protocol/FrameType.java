package io.edgestack.tunnel.protocol;

/**
 * The frame types of tunnel protocol v1 (see docs/tunnel-protocol.md). Connection frames travel on stream 0, stream
 * frames on a stream id the edge allocated.
 */
public enum FrameType {
    /** edge → connector, stream 0: the session is registered; payload is a small JSON object. */
    HELLO(0x0, false),
    /** edge → connector: a new stream with the request head; flags FIN (no body) and UPGRADE. */
    OPEN(0x1, true),
    /** connector → edge: the response head; flag FIN (no body). */
    RESPONSE(0x2, true),
    /** either way: body bytes; flag FIN ends this direction. */
    DATA(0x3, true),
    /** either way: abandon the stream; payload u32 code + UTF-8 reason. */
    RESET(0x4, true),
    /** either way: u32 more bytes the peer may send on the stream. */
    WINDOW(0x5, true),
    /** either way, stream 0: 8 opaque bytes to echo in a PONG. */
    PING(0x6, false),
    /** either way, stream 0: the 8 bytes of the PING it answers. */
    PONG(0x7, false),
    /** either way, stream 0: no new streams on this connection; u32 last stream id + UTF-8 reason. */
    GOAWAY(0x8, false),
    /** connector → edge: the answer's trailer fields, after its body; always with FIN (see Mux#TRAILERS). */
    TRAILERS(0x9, true);

    private static final FrameType[] BY_CODE = values();

    public final int code;
    public final boolean onStream;

    FrameType(int code, boolean onStream) {
        this.code = code;
        this.onStream = onStream;
    }

    static FrameType of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
