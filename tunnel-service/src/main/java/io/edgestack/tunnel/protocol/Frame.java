package io.edgestack.tunnel.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;

/**
 * One tunnel frame: {@code type u8 | flags u8 | stream id u32 | payload}. Each frame travels as one binary WebSocket
 * message, so the message length is the frame length.
 */
public record Frame(FrameType type, int flags, int streamId, Buffer payload) {

    /** DATA, OPEN, RESPONSE: the last frame of this direction of the stream. */
    public static final int FIN = 0x1;
    /** OPEN: the request asks for a protocol upgrade (WebSocket); bytes flow both ways after a 101. */
    public static final int UPGRADE = 0x2;

    public static final int HEADER_LENGTH = 6;
    /** Largest payload of any frame; a peer that sends more has its connection closed. */
    public static final int MAX_PAYLOAD = 64 * 1024;
    /** Largest reason text in RESET and GOAWAY. */
    public static final int MAX_REASON = 1024;

    public boolean fin() {
        return (flags & FIN) != 0;
    }

    public boolean upgrade() {
        return (flags & UPGRADE) != 0;
    }

    /** The frame's bytes; a large payload is not copied (header and payload are joined as one composite buffer). */
    public Buffer encode() {
        if (payload.length() < 1024) {
            Buffer out = Buffer.buffer(HEADER_LENGTH + payload.length());
            out.appendByte((byte) type.code).appendByte((byte) flags).appendInt(streamId).appendBuffer(payload);
            return out;
        }
        return Buffer.buffer(Unpooled.wrappedBuffer(header(Unpooled.buffer(HEADER_LENGTH, HEADER_LENGTH)),
                payload.getByteBuf()));
    }

    /**
     * The frame's bytes around {@code payloadBytes} (this frame's payload, in direct memory): a direct header and the
     * payload as one composite, which takes over the caller's reference to {@code payloadBytes}. Written as it is
     * (a heap part would make Netty copy the whole frame into direct memory first).
     */
    public ByteBuf encodeAround(ByteBufAllocator alloc, ByteBuf payloadBytes) {
        return Unpooled.wrappedBuffer(header(alloc.directBuffer(HEADER_LENGTH, HEADER_LENGTH)), payloadBytes);
    }

    private ByteBuf header(ByteBuf out) {
        return out.writeByte(type.code).writeByte(flags).writeInt(streamId);
    }

    /**
     * Parses one frame, checking everything that does not need connection state: type, flags allowed for it, stream
     * id zero or not as the type requires, payload size. Anything else is a {@link ProtocolException}.
     */
    public static Frame decode(Buffer message) {
        int length = message.length();
        if (length < HEADER_LENGTH) {
            throw new ProtocolException("frame of " + length + " bytes is shorter than its 6-byte header");
        }
        if (length - HEADER_LENGTH > MAX_PAYLOAD) {
            throw new ProtocolException("frame payload of " + (length - HEADER_LENGTH) + " bytes exceeds " + MAX_PAYLOAD);
        }
        int code = message.getUnsignedByte(0);
        FrameType type = FrameType.of(code);
        if (type == null) {
            throw new ProtocolException("unknown frame type 0x" + Integer.toHexString(code));
        }
        int flags = message.getUnsignedByte(1);
        int allowed = switch (type) {
            case OPEN -> FIN | UPGRADE;
            case RESPONSE, DATA, TRAILERS -> FIN;
            default -> 0;
        };
        if ((flags & ~allowed) != 0) {
            throw new ProtocolException(type + " frame with flags 0x" + Integer.toHexString(flags) + " not allowed on it");
        }
        int streamId = message.getInt(2);
        if (type.onStream && streamId <= 0) {
            throw new ProtocolException(type + " frame on stream " + Integer.toUnsignedString(streamId)
                    + " (stream ids are 1 to 2^31-1)");
        }
        if (!type.onStream && streamId != 0) {
            throw new ProtocolException(type + " frame must be on stream 0, not " + Integer.toUnsignedString(streamId));
        }
        Buffer payload = message.slice(HEADER_LENGTH, length);
        int size = payload.length();
        switch (type) {
            case WINDOW -> {
                if (size != 4) {
                    throw new ProtocolException("WINDOW frame payload is " + size + " bytes, not 4");
                }
                if (payload.getInt(0) <= 0) {
                    throw new ProtocolException("WINDOW increment must be 1 to 2^31-1");
                }
            }
            case PING, PONG -> {
                if (size != 8) {
                    throw new ProtocolException(type + " frame payload is " + size + " bytes, not 8");
                }
            }
            case RESET, GOAWAY -> {
                if (size < 4 || size - 4 > MAX_REASON) {
                    throw new ProtocolException(type + " frame payload must be 4 bytes and a reason of at most "
                            + MAX_REASON + " bytes, got " + size);
                }
            }
            case TRAILERS -> {
                if ((flags & FIN) == 0) { // trailer fields end the answer: nothing may follow them
                    throw new ProtocolException("TRAILERS frame without FIN");
                }
            }
            case HELLO -> {
                if (size > 4096) {
                    throw new ProtocolException("HELLO frame payload of " + size + " bytes exceeds 4096");
                }
            }
            default -> {
                // OPEN and RESPONSE heads are checked by Heads; DATA may be any size up to MAX_PAYLOAD
            }
        }
        return new Frame(type, flags, streamId, payload);
    }

    public static Frame of(FrameType type, int flags, int streamId, Buffer payload) {
        return new Frame(type, flags, streamId, payload);
    }

    public static Frame codeAndReason(FrameType type, int streamId, int code, String reason) {
        byte[] text = reason == null ? new byte[0] : reason.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int n = Math.min(text.length, MAX_REASON);
        return new Frame(type, 0, streamId, Buffer.buffer(4 + n).appendInt(code).appendBytes(text, 0, n));
    }

    public int code() {
        return payload.getInt(0);
    }

    public String reason() {
        return payload.getString(4, payload.length(), "UTF-8");
    }
}
