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
        assertThrows(ProtocolException.class, () -> Heads.encode(new Heads.ResponseHead(200, many)));
        MultiMap huge = MultiMap.caseInsensitiveMultiMap().add("X-Big", "v".repeat(70_000));
        assertThrows(ProtocolException.class, () -> Heads.encode(new Heads.ResponseHead(200, huge)));
        Buffer badStatus = Buffer.buffer().appendUnsignedShort(99).appendUnsignedShort(0);
        assertThrows(ProtocolException.class, () -> Heads.decodeResponse(badStatus));
        Buffer spaceInTarget = Buffer.buffer().appendUnsignedByte((short) 3).appendString("GET").appendUnsignedShort(3)
                .appendString("/ x").appendUnsignedShort(0);
        assertThrows(ProtocolException.class, () -> Heads.decodeRequest(spaceInTarget));
    }
}
