package io.edgestack.tunnel.mux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgestack.tunnel.protocol.Frame;
import io.edgestack.tunnel.protocol.FrameType;
import io.edgestack.tunnel.protocol.Heads;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/**
 * The flood limit counts frames that cost the receiver work without traffic paying for them, and not the WINDOW and
 * RESET frames a busy, well-behaved peer sends: an edge and a connector {@link Mux} over a real WebSocket on loopback,
 * with a limit of {@value #LIMIT} control frames a second so that a few dozen streams cross it.
 */
class MuxFloodTest {

    private static final int LIMIT = 10;
    private static final Mux.Settings SETTINGS = new Mux.Settings(Duration.ofSeconds(5), 3, 1000, LIMIT);

    private final Vertx vertx = Vertx.vertx();
    private final MuxPair pair = new MuxPair(vertx);
    private final CompletableFuture<String> edgeClosed = pair.edgeClosed;
    private final CompletableFuture<String> connectorClosed = pair.connectorClosed;

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private Mux connect(Consumer<MuxStream> serve) throws Exception {
        return pair.connect(SETTINGS, serve);
    }

    private static Heads.RequestHead get(int i) {
        return new Heads.RequestHead("GET", "/" + i, MultiMap.caseInsensitiveMultiMap().add("Host", "localhost"));
    }

    @Test
    void resetsOfOpenStreamsAreNotAFlood() throws Exception {
        Mux edge = connect(stream -> stream.reset(ResetCodes.ORIGIN_UNREACHABLE, "origin down"));
        int streams = 5 * LIMIT;
        List<CompletableFuture<MuxStream.Reset>> resets = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            CompletableFuture<MuxStream.Reset> reset = new CompletableFuture<>();
            resets.add(reset);
            edge.open(get(i), true, false, stream -> stream.resetHandler(reset::complete));
        }
        for (CompletableFuture<MuxStream.Reset> reset : resets) {
            assertEquals(ResetCodes.ORIGIN_UNREACHABLE, reset.get(10, TimeUnit.SECONDS).code(),
                    "each stream reset by the connector, not by a lost connection");
        }
        assertFalse(edge.isClosed(), "the edge kept the connection: " + edgeClosed.getNow(null));
    }

    @Test
    void windowsGivingBackSentBytesAreNotAFlood() throws Exception {
        int size = Mux.WINDOW_UPDATE_THRESHOLD + 40_000; // one WINDOW from the edge per answer
        Mux edge = connect(stream -> {
            stream.respond(new Heads.ResponseHead(200, MultiMap.caseInsensitiveMultiMap()), false);
            stream.write(Buffer.buffer(new byte[size]));
            stream.end();
        });
        int streams = 5 * LIMIT;
        List<CompletableFuture<Integer>> bodies = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            CompletableFuture<Integer> body = new CompletableFuture<>();
            bodies.add(body);
            AtomicInteger received = new AtomicInteger();
            edge.open(get(i), true, false, stream -> {
                stream.resetHandler(reset -> body.completeExceptionally(new AssertionError("reset: " + reset)));
                stream.handler(data -> {
                    received.addAndGet(data.length());
                    stream.consumed(data); // passed on: the bytes go back to the connector's window
                });
                stream.endHandler(v -> body.complete(received.get()));
            });
        }
        for (CompletableFuture<Integer> body : bodies) {
            assertEquals(size, body.get(10, TimeUnit.SECONDS));
        }
        assertFalse(connectorClosed.isDone(), "the connector kept the connection: " + connectorClosed.getNow(null));
    }

    @Test
    void windowsGivingBackNothingAreAFlood() throws Exception {
        Mux edge = connect(stream -> {
            stream.respond(new Heads.ResponseHead(200, MultiMap.caseInsensitiveMultiMap()), false);
            stream.write(Buffer.buffer(new byte[100_000])); // and no end: the stream stays open
        });
        CompletableFuture<MuxStream> open = new CompletableFuture<>();
        MuxStream stream = edge.open(get(0), true, false, s -> s.responseHandler(head -> open.complete(s)));
        open.get(10, TimeUnit.SECONDS);
        // one byte at a time, far below the documented increment, as a flooding peer would
        edge.onLoop(() -> {
            for (int i = 0; i <= LIMIT; i++) {
                edge.send(Frame.of(FrameType.WINDOW, 0, stream.id(), Buffer.buffer(4).appendInt(1)));
            }
        });
        assertTrue(connectorClosed.get(10, TimeUnit.SECONDS).contains("frame flood"), connectorClosed.getNow(null));
    }
}
