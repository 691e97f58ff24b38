package io.edgestack.tunnel.mux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgestack.tunnel.protocol.Frame;
import io.edgestack.tunnel.protocol.FrameType;
import io.edgestack.tunnel.protocol.Heads;
import io.edgestack.tunnel.protocol.ProtocolException;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * An answer's trailer fields cross the tunnel in a TRAILERS frame that ends the connector's side, to an edge whose
 * HELLO says it takes them; to an edge that does not say so (one older than the frame, which would close the whole
 * connection on a type it does not know), the answer ends as before, without them.
 */
class MuxTrailersTest {

    private static final Mux.Settings SETTINGS = new Mux.Settings(Duration.ofSeconds(5), 3, 1000, 1000);

    private final Vertx vertx = Vertx.vertx();
    private final MuxPair pair = new MuxPair(vertx);

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** The body the edge received on one stream, and the trailer fields it ended with. */
    private record Ended(String body, MultiMap trailers) {
    }

    private Ended exchange(boolean edgeTakesTrailers) throws Exception {
        Mux edge = pair.connect(SETTINGS, stream -> {
            stream.respond(new Heads.ResponseHead(200, MultiMap.caseInsensitiveMultiMap().add("Content-Type", "application/grpc")), false);
            stream.write(Buffer.buffer("a body of ").appendBuffer(Buffer.buffer(new byte[100_000])));
            stream.end(MultiMap.caseInsensitiveMultiMap().add("grpc-status", "0").add("grpc-message", "all went well"));
        });
        edge.hello(new JsonObject().put("tunnel", "t").put(Mux.TRAILERS, edgeTakesTrailers));
        CompletableFuture<Ended> ended = new CompletableFuture<>();
        Buffer body = Buffer.buffer();
        edge.open(new Heads.RequestHead("POST", "/pkg.Echo/Say", MultiMap.caseInsensitiveMultiMap().add("Host", "localhost")),
                true, false, stream -> {
                    stream.resetHandler(reset -> ended.completeExceptionally(new AssertionError("reset: " + reset)));
                    stream.handler(data -> {
                        body.appendBuffer(data);
                        stream.consumed(data);
                    });
                    stream.endHandler(v -> ended.complete(new Ended(body.getString(0, 10), stream.trailers())));
                });
        Ended result = ended.get(10, TimeUnit.SECONDS);
        assertEquals(10 + 100_000, body.length(), "the whole body before the end");
        assertFalse(edge.isClosed(), "the connection lives on: " + pair.edgeClosed.getNow(null));
        assertFalse(pair.connectorClosed.isDone(), "the connection lives on: " + pair.connectorClosed.getNow(null));
        return result;
    }

    @Test
    void trailerFieldsEndTheAnswerAtAnEdgeThatTakesThem() throws Exception {
        Ended ended = exchange(true);
        assertEquals("a body of ", ended.body());
        assertEquals("0", ended.trailers().get("grpc-status"));
        assertEquals("all went well", ended.trailers().get("grpc-message"));
    }

    @Test
    void anEdgeThatDoesNotSayItTakesTrailersGetsTheAnswerWithoutThem() throws Exception {
        Ended ended = exchange(false);
        assertEquals("a body of ", ended.body());
        assertNull(ended.trailers());
    }

    @Test
    void aTrailersFrameIsTheConnectorsAndEndsItsSide() {
        Buffer fields = Heads.encodeTrailers(MultiMap.caseInsensitiveMultiMap().add("grpc-status", "0"));
        Buffer open = Frame.of(FrameType.TRAILERS, 0, 1, fields).encode();
        assertTrue(assertThrows(ProtocolException.class, () -> Frame.decode(open)).getMessage().contains("without FIN"));
        Frame decoded = Frame.decode(Frame.of(FrameType.TRAILERS, Frame.FIN, 1, fields).encode());
        assertEquals("0", Heads.decodeTrailers(decoded.payload()).get("grpc-status"));
    }
}
