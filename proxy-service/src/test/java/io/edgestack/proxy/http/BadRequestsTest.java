package io.edgestack.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void takesOverHttp2TheHeadsHttp1TakesAndRefusesLargerOnesWith431() throws Exception {
        // Vert.x's HTTP/2 default (an 8K header list) refused over HTTP/2 a 12 KB cookie HTTP/1.1 took (16K)
        String cookie = "a".repeat(12_000);
        RawHttp.Answer http1 = send("GET / HTTP/1.1\r\nHost: localhost\r\nCookie: " + cookie + "\r\nConnection: close\r\n\r\n");
        assertTrue(http1.status() != 431, http1.head());
        java.net.http.HttpClient h2c = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_2)
                .build();
        java.net.URI root = url.toURI();
        h2c.send(java.net.http.HttpRequest.newBuilder(root).build(), java.net.http.HttpResponse.BodyHandlers.discarding());
        java.net.http.HttpResponse<String> taken = h2c.send(java.net.http.HttpRequest.newBuilder(root).header("Cookie", cookie)
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(java.net.http.HttpClient.Version.HTTP_2, taken.version());
        assertTrue(taken.statusCode() != 431, "a 12 KB cookie over HTTP/2: " + taken.statusCode());
        java.net.http.HttpResponse<String> refused = h2c.send(java.net.http.HttpRequest.newBuilder(root)
                .header("Cookie", "a".repeat(22_000)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(java.net.http.HttpClient.Version.HTTP_2, refused.version());
        assertEquals(431, refused.statusCode(), "past the list size, on its own stream");
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

    /**
     * A Transfer-Encoding that does not end with chunked leaves the body's length unknown (Netty read no body, and the
     * body's bytes as the next request: "smuggled" was answered); one with another coding before chunked would reach the
     * app still encoded. 400 and 501, as nginx and Go's server, and the connection closed (RFC 9112 §6.1, §6.3).
     */
    @Test
    void refusesTransferCodingsOtherThanChunkedAndClosesTheConnection() {
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
        for (String coding : new String[] {"gzip", "chunked, identity", "chunked\r\nTransfer-Encoding: chunked"}) {
            RawHttp.Answer answer = send("POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: " + coding + "\r\n\r\n" + smuggled);
            assertEquals(400, answer.status(), coding + ": " + answer.head());
            assertTrue(answer.closed(), coding + ": the connection is closed after the answer");
            assertEquals(1, java.util.regex.Pattern.compile("HTTP/1\\.1 \\d{3} ").matcher(answer.head() + answer.body()).results().count(),
                    coding + ": the body is not read as a request: " + answer.head() + answer.body());
        }
        RawHttp.Answer gzip = send("POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n");
        assertEquals(501, gzip.status(), gzip.head());
        assertTrue(gzip.closed());
    }

    /**
     * {@code close} among other connection options ({@code Connection: TE, close}, as curl sends when it asks for
     * trailers) closes the connection after the answer (RFC 9112 §9.6); Vert.x compared the whole value with
     * {@code close} and kept it open, and a client reading to the end waited for the idle timeout.
     */
    @Test
    void closesTheConnectionWhenCloseIsOneOfItsOptions() {
        RawHttp.Answer answer = send("GET /ping HTTP/1.1\r\nHost: localhost\r\nTE: trailers\r\nConnection: TE, close\r\n\r\n");
        assertTrue(answer.status() > 0 && answer.header("X-Request-Id") != null, "an answer: " + answer.head());
        assertTrue(answer.closed(), "closed after the answer: " + answer.head());
        RawHttp.Answer kept = send("GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: TE, keep-alive\r\n\r\n");
        assertTrue(kept.status() > 0, "an answer: " + kept.head());
        assertFalse(kept.closed(), "kept open: " + kept.head());
    }

    /** {@code OPTIONS *} asks about the server, no resource: 200 with no body, as from Go's server (Caddy); was a 400. */
    @Test
    void answersOptionsStarAsTheServerItself() {
        RawHttp.Answer answer = send("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertEquals(200, answer.status(), answer.head());
        assertEquals("0", answer.header("Content-Length"), answer.head());
        assertTrue(answer.header("X-Request-Id") != null, answer.head());
        assertEquals("", answer.body());
        RawHttp.Answer connect = send("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n");
        assertEquals(400, connect.status(), connect.head());
    }

    /**
     * What the decoder cannot read is answered in HTTP/1.1 with a line and a request id, and closed: Vert.x said
     * {@code HTTP/1.0 414} with an empty body for a request line over the limit.
     */
    @Test
    void answersWhatItCannotReadInHttp11WithAReason() {
        RawHttp.Answer line = send("GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assertTrue(line.head().startsWith("HTTP/1.1 414 "), line.head());
        assertTrue(line.body().startsWith("414 Request-URI Too Long: the request line") && line.closed(), line.body());
        assertTrue(line.body().contains("(request id " + line.header("X-Request-Id") + ")"), line.head() + line.body());
        RawHttp.Answer head = send("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(40_000) + "\r\n\r\n");
        assertTrue(head.head().startsWith("HTTP/1.1 431 ") && head.body().contains("headers are larger"), head.head() + head.body());
        RawHttp.Answer garbage = send("GET / HTTP/1.1\r\nHost: localhost\r\nNo colon here\r\n\r\n");
        assertTrue(garbage.head().startsWith("HTTP/1.1 400 ") && garbage.body().contains("could not be read as HTTP"),
                garbage.head() + garbage.body());
    }

    @Test
    void refusesDifferingContentLengths() {
        RawHttp.Answer answer = send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
        assertEquals(400, answer.status(), answer.head());
    }

    @Test
    void answersVersionsItDoesNotSpeakWith505InHttp11AndClosesTheConnection() {
        // Vert.x alone answered "HTTP/9.9 501 Not Implemented": a status line no HTTP/1.1 client reads
        for (String version : new String[] {"HTTP/9.9", "HTTP/2.0", "FOO/1.1", "HTTP/1.2"}) {
            RawHttp.Answer answer = send("GET / " + version + "\r\nHost: localhost\r\n\r\n"
                    + "GET /second HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertTrue(answer.head().startsWith("HTTP/1.1 505 "), version + ": " + answer.head());
            assertTrue(answer.closed(), version + ": the connection is closed after the answer");
            assertEquals(1, java.util.regex.Pattern.compile("HTTP/1\\.1 \\d{3} ").matcher(answer.head() + answer.body()).results().count(),
                    "the request after it is not answered: " + answer.head() + answer.body());
        }
        RawHttp.Answer old = send("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
        assertTrue(old.head().startsWith("HTTP/1.0 ") && old.status() != 505, old.head());
        RawHttp.Answer current = send("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        assertTrue(current.head().startsWith("HTTP/1.1 ") && current.status() != 505 && current.status() != 501, current.head());
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
