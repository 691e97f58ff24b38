package io.edgestack.tunnel.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

class HeadsTest {

    @Test
    void requestAndResponseHeadsTravelIntactWithRepeatedHeaders() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Host", "www.example.com").add("Cookie", "a=1")
                .add("Cookie", "b=2").add("X-Latin", "caf\u00e9");
        Heads.RequestHead request = Heads.decodeRequest(Heads.encode(new Heads.RequestHead("POST", "/api/x?y=1", headers)));
        assertEquals("POST", request.method());
        assertEquals("/api/x?y=1", request.target());
        assertEquals(java.util.List.of("a=1", "b=2"), request.headers().getAll("cookie"));
        assertEquals("caf\u00e9", request.headers().get("X-Latin"));
        Heads.ResponseHead response = Heads.decodeResponse(Heads.encode(new Heads.ResponseHead(404, headers)));
        assertEquals(404, response.status());
        assertEquals(java.util.List.of("a=1", "b=2"), response.headers().getAll("Cookie"));
    }

    @Test
    void refusesHeadsThatWouldInjectOrOverflow() {
        Buffer injected = Heads.encode(new Heads.ResponseHead(200, MultiMap.caseInsensitiveMultiMap().add("X-A", "ok")));
        injected.setByte(injected.length() - 1, (byte) '\n');
        assertTrue(assertThrows(ProtocolException.class, () -> Heads.decodeResponse(injected)).getMessage().contains("CR, LF"));

        MultiMap many = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i <= Heads.MAX_HEADERS; i++) {
            many.add("X-" + i, "v");
        }
        assertTrue(assertThrows(UncarriableHead.class, () -> Heads.encode(new Heads.ResponseHead(200, many))).tooLarge());
        MultiMap huge = MultiMap.caseInsensitiveMultiMap().add("X-Big", "v".repeat(70_000));
        assertTrue(assertThrows(UncarriableHead.class, () -> Heads.encode(new Heads.ResponseHead(200, huge))).tooLarge());
        Buffer badStatus = Buffer.buffer().appendUnsignedShort(99).appendUnsignedShort(0);
        assertThrows(ProtocolException.class, () -> Heads.decodeResponse(badStatus));
        Buffer spaceInTarget = Buffer.buffer().appendUnsignedByte((short) 3).appendString("GET").appendUnsignedShort(3)
                .appendString("/ x").appendUnsignedShort(0);
        assertThrows(ProtocolException.class, () -> Heads.decodeRequest(spaceInTarget));
    }

    /**
     * What the decoder on the other side would refuse is refused before it is sent, as the stream's own failure: sent,
     * it would close the whole tunnel connection (an origin answering status 999 cut every visitor on it).
     */
    @Test
    void refusesToSendWhatThePeerWouldRefuse() {
        MultiMap none = MultiMap.caseInsensitiveMultiMap();
        for (int status : new int[] { 99, 600, 999 }) {
            UncarriableHead refused = assertThrows(UncarriableHead.class, () -> Heads.encode(new Heads.ResponseHead(status, none)));
            assertTrue(refused.getMessage().contains(status + " is not 100 to 599"), refused.getMessage());
            assertTrue(!refused.tooLarge());
        }
        for (MultiMap bad : java.util.List.of(MultiMap.caseInsensitiveMultiMap().add("X(Odd)", "v"),
                MultiMap.caseInsensitiveMultiMap().add("X-Nul", "a\u0000b"),
                MultiMap.caseInsensitiveMultiMap().add("X-Split", "a\r\nSet-Cookie: x=1"),
                MultiMap.caseInsensitiveMultiMap().add("X-Wide", "\u20ac"))) {
            assertTrue(!assertThrows(UncarriableHead.class, () -> Heads.encode(new Heads.ResponseHead(200, bad))).tooLarge());
            assertThrows(UncarriableHead.class, () -> Heads.encode(new Heads.RequestHead("GET", "/", bad)));
        }
        assertThrows(UncarriableHead.class, () -> Heads.encode(new Heads.RequestHead("GET", "/caf\u00e9", none)));
        assertThrows(UncarriableHead.class, () -> Heads.encode(new Heads.RequestHead("GET", "/a b", none)));
        assertThrows(UncarriableHead.class, () -> Heads.encode(new Heads.RequestHead("G(T", "/", none)));
        // what encodes decodes: Latin-1 values pass as they are
        MultiMap latin = MultiMap.caseInsensitiveMultiMap().add("X-Name", "Ren\u00e9e");
        assertEquals("Ren\u00e9e", Heads.decodeResponse(Heads.encode(new Heads.ResponseHead(103, latin))).headers().get("X-Name"));
    }
}
