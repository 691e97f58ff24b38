package io.edgestack.tunnel.edge;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.edgestack.testkit.PrometheusText;
import io.edgestack.testkit.SlowClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class EdgeModeTest {

    /** {@code Tue, 01 Dec 2026 14:13:59 GMT}: two-digit day, GMT. */
    static final String IMF_FIXDATE = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
            + "[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT";

    @TestHTTPResource("/")
    URL publicPort;

    @TestHTTPResource(value = "", management = true)
    URL management;

    @Inject
    ConnectorListener listener;

    @Test
    void answers521WithAPageAndARequestIdWhileNoConnectorIsConnected() {
        given().get(publicPort + "blog/hello-world/")
                .then().statusCode(521)
                .contentType(startsWith("text/html"))
                .header("X-Request-Id", matchesPattern("[0-9a-f]{32}"))
                .header("Cache-Control", "no-store")
                .header("Proxy-Status", "edgestack-edge; error=destination_unavailable")
                .header("Date", matchesPattern(IMF_FIXDATE))
                .body(containsString("521"), containsString("No connector is connected"));
    }

    @Test
    void answersProblemDetailsToJsonClientsAndKeepsTheirRequestId() {
        given().accept("application/json").header("X-Request-Id", "abc-123")
                .get(publicPort + "api/thing")
                .then().statusCode(521)
                .contentType("application/problem+json")
                .header("X-Request-Id", "abc-123")
                .body("status", equalTo(521), "requestId", equalTo("abc-123"));
    }

    @Test
    void answersARequestWithoutAValidHostWithItsOwn400Page() throws Exception {
        // Vert.x Web fails such a request before any route; it got Quarkus' generic error answer and an ERROR line.
        for (String host : List.of("Host: not a host!\r\n", "Host: a b\r\n", "")) {
            try (Socket socket = new Socket(publicPort.getHost(), publicPort.getPort())) {
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(("GET /blog/ HTTP/1.1\r\n" + host + "Accept: text/html\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                // read to the end: the edge closes the connection after this answer, as its Connection header says
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(answer.startsWith("HTTP/1.1 400 Bad Request\r\n"), host + ": " + answer);
                assertTrue(answer.contains("not a valid host name")
                        && answer.toLowerCase(Locale.ROOT).contains("x-request-id:"), host + ": the edge's page, " + answer);
            }
        }
    }

    @Test
    void aSlowlorisVisitorLosesItsConnectionAtTheRequestHeadTimeout() throws Exception {
        // The public HTTP port faces the internet: a client that connects and says nothing, or trickles a head a byte
        // at a time, is closed at edgestack.tunnel.edge.request-head-timeout (3 s in tests). On Quarkus' server, which
        // the port was on, nothing timed a head: every byte reset the 30-minute idle timeout.
        double before = headTimeouts();
        double silent = SlowClient.secondsUntilClosed(publicPort.getPort(), 8);
        assertTrue(silent >= 2.8 && silent < 6, "a silent connection closed after " + silent + " s (limit 3 s)");
        byte[] head = ("GET /blog/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + "a".repeat(200)).getBytes(StandardCharsets.US_ASCII);
        double trickled = SlowClient.secondsTricklingUntilClosed(publicPort.getPort(), head, 250);
        assertTrue(trickled >= 2.8 && trickled < 6, "a trickled head closed after " + trickled + " s (limit 3 s)");
        assertEquals(before + 2, headTimeouts(), "both counted");
        // a keep-alive connection idle between requests for longer than the limit is left alone
        try (Socket socket = new Socket(publicPort.getHost(), publicPort.getPort())) {
            socket.setSoTimeout(5000);
            for (int i = 0; i < 2; i++) {
                socket.getOutputStream().write("GET /x HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String answer = io.edgestack.testkit.RawAnswer.read(socket.getInputStream());
                assertTrue(answer.startsWith("HTTP/1.1 521 "), answer);
                Thread.sleep(3500);
            }
        }
    }

    @Test
    void refusesARequestLineOfAnUnknownVersionWith505() throws Exception {
        // Vert.x answered it itself, before any route, as 'HTTP/9.9 501 Not Implemented', which no client reads as HTTP/1.1
        try (Socket socket = new Socket(publicPort.getHost(), publicPort.getPort())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET /blog/ HTTP/9.9\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(answer.startsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n"), answer);
        }
    }

    @Test
    void refusesADeclaredBodyOverTheLimitWith413AndClosesTheConnection() throws Exception {
        // quarkus.http.limits.max-body-size (10240K by default), before any tunnel is looked up; the body is not passed
        // on. The connection is closed lingering: the rest of the upload is read and dropped before the close (closed
        // with unread bytes, the socket was reset, and the visitor's upload with it, which may lose the 413 unread).
        try (Socket socket = new Socket(publicPort.getHost(), publicPort.getPort())) {
            socket.setSoTimeout(5000);
            String answer = io.edgestack.testkit.RawAnswer.afterUpload(socket,
                    "POST /upload HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n", 10240 * 1024 + 1);
            assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
            assertTrue(answer.contains("application/problem+json") && answer.contains("larger than 10485760 bytes"), answer);
            assertEquals(-1, socket.getInputStream().read(), "closed");
        }
        given().contentType("text/plain").body("small").post(publicPort + "upload").then().statusCode(521);
    }

    private double headTimeouts() {
        return PrometheusText.sum(given().get(management + "metrics").asString(),
                "edgestack_tunnel_edge_request_head_timeouts_total{", "listener=\"http\"");
    }

    @Test
    void isReadyOnceTheConnectorListenerIsBound() {
        int port = listener.boundPort();
        given().get(management + "health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'tunnel' }.data.mode", equalTo("edge"),
                        "checks.find { it.name == 'tunnel' }.data.connector-listener", equalTo("port " + port),
                        // clustering is off in tests: the service says so and stays ready
                        "checks.find { it.name == 'cluster' }.status", equalTo("UP"),
                        "checks.find { it.name == 'cluster' }.data.state", equalTo("off"));
    }

    @Test
    void connectorListenerAsksForAWebSocketOnItsConnectPath() {
        String listenerUrl = "http://127.0.0.1:" + listener.boundPort();
        given().get(listenerUrl + "/v1/connect").then().statusCode(426).contentType("application/problem+json")
                .header("Date", matchesPattern(IMF_FIXDATE));
        given().get(listenerUrl + "/").then().statusCode(404).body("detail", containsString("connector sessions only"));
    }

    @Test
    void keepsMetricsOffThePublicPort() {
        given().get(management + "metrics").then().statusCode(200).body(containsString("# TYPE"));
        given().get(publicPort + "q/metrics").then().statusCode(521);
    }
}
