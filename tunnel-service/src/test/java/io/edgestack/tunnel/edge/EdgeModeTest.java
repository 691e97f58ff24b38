package io.edgestack.tunnel.edge;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

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
