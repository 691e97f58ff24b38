package io.edgestack.monitor.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpServer;

import io.vertx.core.Vertx;

/**
 * http checks that send a body, as Uptime Kuma's "body" (a GraphQL or JSON health query): the body goes with the
 * check's method, as JSON unless the check's headers name another type, and the answer is judged as any other. A real
 * server on loopback answers what it was sent.
 */
class RequestBodyTest {

    private static final CheckSpec.Defaults DEFAULTS = new CheckSpec.Defaults(Duration.ofSeconds(30), Duration.ofSeconds(2), 3, 1);

    @Test
    void aCheckSendsItsBodyAndIsJudgedOnTheAnswer() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/graphql", exchange -> {
            String sent = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            boolean health = exchange.getRequestMethod().equals("POST") && sent.contains("{ health }");
            byte[] answer = (health ? "{\"data\":{\"health\":\"ok\"},\"type\":\"" + exchange.getRequestHeaders().getFirst("Content-Type")
                    + "\"}" : "{\"errors\":[\"no query\"]}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(health ? 200 : 400, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        server.start();
        Vertx vertx = Vertx.vertx();
        try {
            Probes probes = new Probes(vertx);
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/graphql";
            CheckSpec graphql = CheckSpec.parse("api", Map.of("url", url, "method", "post",
                    "body", "{\"query\": \"{ health }\"}", "json-path", "$.data.health == ok"), DEFAULTS, "api.");
            CheckResult up = probes.run(graphql).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(up.ok(), up.toString());
            CheckSpec typed = CheckSpec.parse("typed", Map.of("url", url, "method", "POST", "body", "{ health }",
                    "header-Content-Type", "application/graphql", "keyword", "\"type\":\"application/graphql\""), DEFAULTS, "typed.");
            CheckResult asTyped = probes.run(typed).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertTrue(asTyped.ok(), asTyped.toString());
            CheckSpec empty = CheckSpec.parse("empty", Map.of("url", url, "method", "POST"), DEFAULTS, "empty.");
            CheckResult down = probes.run(empty).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals("status", down.cause(), down.toString());
        } finally {
            vertx.close();
            server.stop(0);
        }
    }

    @Test
    void aBodyIsForAnHttpCheckWithAMethodThatCarriesOne() {
        assertEquals("home.body: a GET request carries none (method: POST, PUT, PATCH...)", assertThrows(CheckSpec.Invalid.class,
                () -> CheckSpec.parse("home", Map.of("url", "http://x/", "body", "{}"), DEFAULTS, "home.")).getMessage());
        assertEquals("db.body: only for an http check", assertThrows(CheckSpec.Invalid.class,
                () -> CheckSpec.parse("db", Map.of("type", "tcp", "host", "x", "port", "5432", "body", "x"), DEFAULTS, "db."))
                .getMessage());
    }
}
