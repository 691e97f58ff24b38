package io.edgestack.tunnel.mux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * {@link UnmaskedFrames} in front of Netty's WebSocket decoder gives exactly what Netty's decoder alone gives, for any
 * mix of frames cut at any points, without copying the payloads of the tunnel's own frames and without keeping or
 * losing a reference to any read.
 */
class UnmaskedFramesTest {

    private static final int MAX = 65542;
    private static final Random RANDOM = new Random(20261201);

    @Test
    void aFrameWithinOneReadIsASliceOfIt() {
        EmbeddedChannel channel = channel(true);
        ByteBuf read = direct(frame(0x82, false, bytes(20_000, 7)));
        channel.writeInbound(read);
        WebSocketFrame frame = channel.readInbound();
        read.setByte(read.capacity() - 1, 42); // the payload's last byte, changed in the read after decoding
        assertEquals((byte) 42, frame.content().getByte(19_999), "the payload is the read's memory, not a copy of it");
        frame.release();
        assertEquals(0, read.refCnt());
        channel.finishAndReleaseAll();
    }

    @Test
    void aSmallPayloadIsCopiedSoThatItDoesNotHoldItsRead() {
        EmbeddedChannel channel = channel(true);
        byte[] wire = new ByteArrayOutputStream() {
            {
                writeBytes(frame(0x82, false, bytes(UnmaskedFrames.COPY_BELOW - 1, 5)));
                writeBytes(frame(0x82, false, bytes(10, 6)));
            }
        }.toByteArray();
        ByteBuf read = direct(wire);
        channel.writeInbound(read);
        WebSocketFrame first = channel.readInbound();
        WebSocketFrame second = channel.readInbound();
        assertEquals(0, read.refCnt(), "the read is given back while both payloads are still held");
        assertEquals(UnmaskedFrames.COPY_BELOW - 1, first.content().readableBytes());
        assertEquals(HexFormat.of().formatHex(bytes(10, 6)), HexFormat.of().formatHex(ByteBufUtil.getBytes(second.content())));
        first.release();
        second.release();
        channel.finishAndReleaseAll();
    }

    @Test
    void aFrameSpanningReadsIsJoinedFromThemWithoutACopy() {
        EmbeddedChannel channel = channel(true);
        byte[] wire = frame(0x82, false, bytes(MAX, 3));
        ByteBuf first = direct(Arrays.copyOfRange(wire, 0, 40_000));
        ByteBuf second = direct(Arrays.copyOfRange(wire, 40_000, wire.length));
        channel.writeInbound(first);
        assertNull(channel.readInbound(), "no frame before all of it arrived");
        channel.writeInbound(second);
        WebSocketFrame frame = channel.readInbound();
        assertEquals(MAX, frame.content().readableBytes());
        second.setByte(second.capacity() - 1, 99);
        assertEquals((byte) 99, frame.content().getByte(MAX - 1));
        frame.release();
        assertEquals(0, first.refCnt());
        assertEquals(0, second.refCnt());
        channel.finishAndReleaseAll();
    }

    @Test
    void anyMixOfFramesCutAnywhereDecodesAsNettyAloneDecodesIt() {
        for (int round = 0; round < 300; round++) {
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            int frames = 1 + RANDOM.nextInt(8);
            for (int i = 0; i < frames; i++) {
                wire.writeBytes(randomFrame());
            }
            byte[] bytes = wire.toByteArray();
            List<Integer> cuts = new ArrayList<>();
            int at = 0;
            while (at < bytes.length) {
                at += 1 + RANDOM.nextInt(RANDOM.nextBoolean() ? 16 : 70_000);
                cuts.add(Math.min(at, bytes.length));
            }
            List<ByteBuf> reads = new ArrayList<>();
            String withFast = run(channel(true), bytes, cuts, reads);
            String nettyAlone = run(channel(false), bytes, cuts, new ArrayList<>());
            assertEquals(nettyAlone, withFast, "round " + round + ", cuts " + cuts);
            for (ByteBuf read : reads) {
                assertEquals(0, read.refCnt(), "round " + round + ": every read released once its frames are");
            }
        }
    }

    @Test
    void installsOnlyInFrontOfADecoderThatHoldsNoBytes() {
        EmbeddedChannel empty = new EmbeddedChannel(nettyDecoder());
        assertTrue(UnmaskedFrames.install(empty.pipeline(), MAX));
        assertNotNull(empty.pipeline().get(UnmaskedFrames.NAME));

        EmbeddedChannel holding = new EmbeddedChannel(nettyDecoder());
        holding.writeInbound(direct(new byte[] {(byte) 0x82, 10, 1, 2})); // a frame's first four bytes of twelve
        assertFalse(UnmaskedFrames.install(holding.pipeline(), MAX));
        assertNull(holding.pipeline().get(UnmaskedFrames.NAME));
        empty.finishAndReleaseAll();
        holding.finishAndReleaseAll();
    }

    /** Feeds the cuts of {@code bytes} and describes what came out: each frame, then the error that ended it, if any. */
    private static String run(EmbeddedChannel channel, byte[] bytes, List<Integer> cuts, List<ByteBuf> reads) {
        StringBuilder out = new StringBuilder();
        int from = 0;
        try {
            for (int to : cuts) {
                ByteBuf read = direct(Arrays.copyOfRange(bytes, from, to));
                reads.add(read);
                from = to;
                channel.writeInbound(read);
                drain(channel, out);
                if (!channel.isOpen()) {
                    break;
                }
            }
        } catch (RuntimeException e) {
            drain(channel, out);
            out.append("error ").append(e.getClass().getSimpleName()).append('\n');
        }
        channel.finishAndReleaseAll();
        return out.toString();
    }

    private static void drain(EmbeddedChannel channel, StringBuilder out) {
        Object message;
        while ((message = channel.readInbound()) != null) {
            WebSocketFrame frame = (WebSocketFrame) message;
            byte[] content = new byte[frame.content().readableBytes()];
            frame.content().getBytes(frame.content().readerIndex(), content);
            out.append(frame.getClass().getSimpleName()).append(frame.isFinalFragment() ? " fin " : " more ")
                    .append(content.length).append(' ')
                    .append(HexFormat.of().formatHex(content, 0, Math.min(8, content.length))).append('\n');
            ReferenceCountUtil.release(frame);
        }
    }

    private static byte[] randomFrame() {
        int kind = RANDOM.nextInt(20);
        return switch (kind) {
            case 0 -> frame(0x82, true, bytes(RANDOM.nextInt(300), kind)); // masked binary
            case 1 -> frame(0x89, false, bytes(RANDOM.nextInt(20), kind)); // ping
            case 2 -> frame(0x81, false, "text".getBytes()); // text
            case 3 -> frame(0x02, false, bytes(RANDOM.nextInt(200), kind)); // a first fragment
            case 4 -> nonMinimal(bytes(10, kind));
            case 5 -> frame(0x82, false, bytes(MAX + 1, kind)); // past the limit
            case 6 -> frame(0xC2, false, bytes(5, kind)); // RSV1 set
            default -> frame(0x82, false, bytes(switch (RANDOM.nextInt(6)) {
                case 0 -> 0;
                case 1 -> 125;
                case 2 -> 126;
                case 3 -> 65535;
                case 4 -> 65536 + RANDOM.nextInt(MAX - 65536 + 1);
                default -> RANDOM.nextInt(4000);
            }, kind));
        };
    }

    private static byte[] frame(int first, boolean masked, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(first);
        int mask = masked ? 0x80 : 0;
        if (payload.length < 126) {
            out.write(mask | payload.length);
        } else if (payload.length < 65536) {
            out.write(mask | 126);
            out.write(payload.length >> 8);
            out.write(payload.length & 0xff);
        } else {
            out.write(mask | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) ((long) payload.length >> shift) & 0xff);
            }
        }
        if (masked) {
            byte[] key = {1, 2, 3, 4};
            out.writeBytes(key);
            byte[] maskedPayload = payload.clone();
            for (int i = 0; i < maskedPayload.length; i++) {
                maskedPayload[i] ^= key[i % 4];
            }
            out.writeBytes(maskedPayload);
        } else {
            out.writeBytes(payload);
        }
        return out.toByteArray();
    }

    private static byte[] nonMinimal(byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x82);
        out.write(126);
        out.write(0);
        out.write(payload.length);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    private static byte[] bytes(int length, int seed) {
        byte[] bytes = new byte[length];
        new Random(seed * 31L + length).nextBytes(bytes);
        return bytes;
    }

    private static ByteBuf direct(byte[] bytes) {
        ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length, bytes.length);
        return buf.writeBytes(bytes);
    }

    private static EmbeddedChannel channel(boolean fast) {
        EmbeddedChannel channel = new EmbeddedChannel(nettyDecoder());
        if (fast) {
            assertTrue(UnmaskedFrames.install(channel.pipeline(), MAX));
        }
        return channel;
    }

    private static WebSocket08FrameDecoder nettyDecoder() {
        return new WebSocket08FrameDecoder(WebSocketDecoderConfig.newBuilder().expectMaskedFrames(false)
                .allowMaskMismatch(true).allowExtensions(false).maxFramePayloadLength(MAX).build());
    }
}
