package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.vertx.core.MultiMap;

class TrailerFieldsTest {

    @Test
    void passesOnWhatAnAnswerMayEndWithAndNotWhatFramesOrDescribesIt() {
        MultiMap from = MultiMap.caseInsensitiveMultiMap().add("grpc-status", "0").add("grpc-message", "ok")
                .add("X-Checksum", "5d41402a").add("Server-Timing", "db;dur=53").add("Server-Timing", "app;dur=47")
                .add("Content-Length", "99").add("transfer-encoding", "chunked").add("Host", "elsewhere.example")
                .add("Content-Type", "text/html").add("Cache-Control", "no-store").add("Set-Cookie", "a=b")
                .add("Connection", "close").add("Trailer", "X-Checksum");
        MultiMap to = MultiMap.caseInsensitiveMultiMap();
        assertEquals(5, TrailerFields.copy(from, to));
        assertEquals("0", to.get("grpc-status"));
        assertEquals("ok", to.get("grpc-message"));
        assertEquals("5d41402a", to.get("x-checksum"));
        assertEquals(List.of("db;dur=53", "app;dur=47"), to.getAll("Server-Timing"), "a repeated field stays repeated");
    }
}
