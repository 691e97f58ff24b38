package io.edgestack.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.edgestack.proxy.files.TestRelease;
import io.edgestack.testkit.SlowClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** A request head trickled in (slowloris) loses its connection; an idle keep-alive connection does not. */
@QuarkusTest
@TestProfile(SlowClientsTest.ShortHeadTimeout.class)
class SlowClientsTest {

    public static class ShortHeadTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("edgestack.proxy.request-head-timeout", "2s", "edgestack.proxy.releases-root", "target/slow-releases");
        }
    }

    @TestHTTPResource("/")
    URL url;

    @TestHTTPResource(value = "", management = true)
    URL management;

    private final TestRelease release = new TestRelease(Path.of("target/slow-releases"), "example");

    @BeforeEach
    void release() throws Exception {
        release.clear();
        release.file("r1", "index.html", "<h1>Home</h1>");
        release.activate("r1");
    }

    @Test
    void aHeadTrickledInLosesItsConnectionWhenItsTimeIsUp() throws Exception {
        double before = timeouts();
        byte[] head = ("GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(200)).getBytes(StandardCharsets.US_ASCII);
        // a byte every 200 ms: each one would reset an idle timeout
        double seconds = SlowClient.secondsTricklingUntilClosed(url.getPort(), head, 200);
        assertTrue(seconds >= 1.8 && seconds < 5, "closed " + seconds + " s after the head's first byte (limit 2 s)");
        assertEquals(before + 1, timeouts(), "counted in edgestack_proxy_request_head_timeouts_total");
    }

    @Test
    void aConnectionThatNeverSendsItsFirstHeadIsClosedToo() throws Exception {
        // nginx's client_header_timeout runs from the accept for a connection's first request: a client that connects and
        // says nothing holds a connection as surely as one that trickles.
        double seconds = SlowClient.secondsUntilClosed(url.getPort(), 6);
        assertTrue(seconds >= 1.8 && seconds < 5, "closed after " + seconds + " s (limit 2 s)");
    }

    @Test
    void anIdleKeepAliveConnectionAndAWholeHeadAreLeftAlone() throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            socket.setSoTimeout(5000);
            for (int i = 0; i < 2; i++) {
                out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String answer = readAnswer(in, "<h1>Home</h1>");
                assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
                Thread.sleep(3500); // idle for longer than the head timeout, between requests
            }
            // A head sent in two halves within the limit is answered too.
            out.write("GET / HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(1000);
            out.write("st: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTrue(readAnswer(in, "<h1>Home</h1>").startsWith("HTTP/1.1 200 "));
        }
    }

    private Socket connect() throws Exception {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", url.getPort()), 2000);
        return socket;
    }

    private static String readAnswer(InputStream in, String last) throws Exception {
        StringBuilder answer = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (!answer.toString().endsWith(last)) {
            int n = in.read(buffer);
            if (n < 0) {
                throw new AssertionError("closed after " + answer);
            }
            answer.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
        }
        return answer.toString();
    }

    private double timeouts() {
        return io.edgestack.proxy.ManagementMetrics.sum(management, "edgestack_proxy_request_head_timeouts_total", "");
    }
}
