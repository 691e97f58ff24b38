package io.edgestack.tunnel.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.vertx.core.buffer.Buffer;

/**
 * Mutation fuzzing of the frame and head decoders, seeded from the corpus in {@code src/test/resources/frame-corpus}
 * (one valid frame of every type). Whatever bytes a peer sends, decoding either yields a frame whose re-encoding is
 * the same bytes or throws {@link ProtocolException}, so the connection is closed with a reason; never anything
 * else. {@code -Dfuzz.iterations=N} runs longer (default 20,000 per seed); {@code -Dfuzz.seed=S} replays a run. An
 * input that breaks the rule is written to target/fuzz-failures to be added to the corpus once fixed.
 */
class FrameFuzzTest {

    private static final String[] CORPUS = {"hello", "open-get", "open-upgrade", "response", "response-fin", "data",
            "data-fin-empty", "reset", "window", "ping", "pong", "goaway"};

    static Map<String, byte[]> corpus() throws IOException {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        for (String name : CORPUS) {
            try (InputStream in = FrameFuzzTest.class.getResourceAsStream("/frame-corpus/" + name + ".bin")) {
                seeds.put(name, in.readAllBytes());
            }
        }
        return seeds;
    }

    @Test
    void everyCorpusFrameDecodesAndEncodesBackToItsBytes() throws IOException {
        for (Map.Entry<String, byte[]> seed : corpus().entrySet()) {
            Frame frame = Frame.decode(Buffer.buffer(seed.getValue()));
            assertEquals(HexFormat.of().formatHex(seed.getValue()), HexFormat.of().formatHex(frame.encode().getBytes()),
                    seed.getKey());
            decodeHead(frame); // the heads of the corpus are valid too
        }
    }

    @Test
    void mutatedFramesDecodeOrFailWithAProtocolErrorOnly() throws IOException {
        int iterations = Integer.getInteger("fuzz.iterations", 20_000);
        long seed = Long.getLong("fuzz.seed", 20261124L);
        Random random = new Random(seed);
        List<byte[]> seeds = new ArrayList<>(corpus().values());
        int decoded = 0;
        int refused = 0;
        for (byte[] base : seeds) {
            for (int i = 0; i < iterations; i++) {
                byte[] input = mutate(base, seeds, random);
                switch (check(input)) {
                    case DECODED -> decoded++;
                    case REFUSED -> refused++;
                }
            }
        }
        for (int i = 0; i < iterations; i++) {
            byte[] noise = new byte[random.nextInt(80)];
            random.nextBytes(noise);
            if (check(noise) == Outcome.DECODED) {
                decoded++;
            } else {
                refused++;
            }
        }
        // both paths were exercised: the mutations are not all trivially rejected
        assertTrue(decoded > iterations, "decoded " + decoded);
        assertTrue(refused > iterations, "refused " + refused);
    }

    private enum Outcome { DECODED, REFUSED }

    private static Outcome check(byte[] input) {
        try {
            Frame frame = Frame.decode(Buffer.buffer(input));
            decodeHead(frame);
            if (frame.type() == FrameType.RESET || frame.type() == FrameType.GOAWAY) {
                frame.reason();
                frame.code();
            }
            if (!java.util.Arrays.equals(input, frame.encode().getBytes())) {
                record(input, new AssertionError("re-encoding differs"));
            }
            return Outcome.DECODED;
        } catch (ProtocolException expected) {
            return Outcome.REFUSED;
        } catch (RuntimeException | Error unexpected) {
            record(input, unexpected);
            return Outcome.REFUSED;
        }
    }

    private static void decodeHead(Frame frame) {
        if (frame.type() == FrameType.OPEN) {
            Heads.RequestHead head = Heads.decodeRequest(frame.payload());
            assertEquals(frame.payload(), Heads.encode(head), "a decoded request head encodes back to its bytes");
        } else if (frame.type() == FrameType.RESPONSE) {
            Heads.ResponseHead head = Heads.decodeResponse(frame.payload());
            assertEquals(frame.payload(), Heads.encode(head), "a decoded response head encodes back to its bytes");
        }
    }

    private static void record(byte[] input, Throwable error) {
        String hex = HexFormat.of().formatHex(input);
        try {
            Path dir = Files.createDirectories(Path.of("target", "fuzz-failures"));
            Files.write(dir.resolve(Integer.toHexString(hex.hashCode()) + ".bin"), input);
        } catch (IOException ignored) {
            // the failure below still names the input
        }
        fail("input " + hex + " broke the decoder: " + error, error);
    }

    static byte[] mutate(byte[] base, List<byte[]> seeds, Random random) {
        byte[] out = base.clone();
        int rounds = 1 + random.nextInt(4);
        for (int r = 0; r < rounds; r++) {
            switch (random.nextInt(7)) {
                case 0 -> { // flip a bit
                    if (out.length > 0) {
                        out[random.nextInt(out.length)] ^= (byte) (1 << random.nextInt(8));
                    }
                }
                case 1 -> { // an interesting byte
                    if (out.length > 0) {
                        byte[] interesting = {0, 1, (byte) 0x7f, (byte) 0x80, (byte) 0xff, '\r', '\n', ':', ' '};
                        out[random.nextInt(out.length)] = interesting[random.nextInt(interesting.length)];
                    }
                }
                case 2 -> out = java.util.Arrays.copyOf(out, random.nextInt(out.length + 1)); // truncate
                case 3 -> { // append noise
                    byte[] tail = new byte[1 + random.nextInt(16)];
                    random.nextBytes(tail);
                    byte[] longer = java.util.Arrays.copyOf(out, out.length + tail.length);
                    System.arraycopy(tail, 0, longer, out.length, tail.length);
                    out = longer;
                }
                case 4 -> { // a 16-bit length field set to an extreme
                    if (out.length > 8) {
                        int at = 6 + random.nextInt(out.length - 7);
                        int value = random.nextBoolean() ? 0xffff : random.nextInt(3);
                        out[at] = (byte) (value >> 8);
                        out[at + 1] = (byte) value;
                    }
                }
                case 5 -> { // splice the payload of another seed
                    byte[] other = seeds.get(random.nextInt(seeds.size()));
                    if (other.length > 6 && out.length >= 6) {
                        byte[] spliced = java.util.Arrays.copyOf(out, 6 + other.length - 6);
                        System.arraycopy(other, 6, spliced, 6, other.length - 6);
                        out = spliced;
                    }
                }
                default -> { // another type or stream id
                    if (out.length >= 6) {
                        out[random.nextBoolean() ? 0 : 2 + random.nextInt(4)] = (byte) random.nextInt(256);
                    }
                }
            }
        }
        return out;
    }
}
