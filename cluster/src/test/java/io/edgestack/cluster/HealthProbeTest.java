package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

class HealthProbeTest {

    @Test
    void reportsTheStatusOfTheHealthEndpointOrNoAnswer() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/q/health/ready", exchange -> {
            byte[] body = "{\"status\":\"UP\"}".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/q/health/live", exchange -> {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            assertEquals(200, HealthProbe.probe(base + "/q/health/ready"));
            assertEquals(503, HealthProbe.probe(base + "/q/health/live"));
        } finally {
            server.stop(0);
        }
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        assertEquals(-1, HealthProbe.probe("http://127.0.0.1:" + closed + "/q/health/ready"));
    }
}
