package io.edgestack.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class BadRequestsTest {

    @TestHTTPResource("/")
    URL url;

    private RawHttp.Answer send(String request) {
        return RawHttp.send(url.getPort(), request);
    }

    @Test
    void refusesOversizedHeadersWith431() {
        RawHttp.Answer answer = send("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(40_000) + "\r\n\r\n");
        assertEquals(431, answer.status(), answer.head());
    }

    @Test
    void refusesOversizedBodiesWith413BeforeReadingThem() {
        RawHttp.Answer answer = send("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 999999999999\r\n\r\nxx");
        assertEquals(413, answer.status(), answer.head());
        assertTrue(answer.head().toLowerCase().contains("connection: close"), answer.head());
    }

    @Test
    void refusesContentLengthTogetherWithTransferEncoding() {
        RawHttp.Answer answer = send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals(400, answer.status(), answer.head());
        assertTrue(!answer.body().contains("smuggled") && answer.head().split("HTTP/1.1 ").length <= 2,
                "one answer, and the connection is closed: " + answer.head() + answer.body());
    }

    @Test
    void refusesDifferingContentLengths() {
        RawHttp.Answer answer = send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
        assertEquals(400, answer.status(), answer.head());
    }

    @Test
    void refusesSeveralHostHeaders() {
        // RFC 9112 §3.2: one site could be chosen by the first and the upstream or a cache could act on the second
        RawHttp.Answer answer = send("GET / HTTP/1.1\r\nHost: localhost\r\nHost: other.example\r\nConnection: close\r\n\r\n");
        assertEquals(400, answer.status(), answer.head());
        assertTrue(answer.body().contains("Host"), answer.body());
        RawHttp.Answer same = send("GET / HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertEquals(400, same.status(), same.head());
    }
}
