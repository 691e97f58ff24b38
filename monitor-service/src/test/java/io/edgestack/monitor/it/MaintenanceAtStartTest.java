package io.edgestack.monitor.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

/**
 * A monitor that starts while deploy-service has a site in maintenance (it was restarted during it) asks, and holds
 * that site's checks as the maintenance.started event it missed would have, for the configured checks and those added
 * through the API alike; a site that is live and a site deploy-service does not answer for are left as they are.
 */
@QuarkusTest
@TestProfile(MaintenanceAtStartTest.Profile.class)
@QuarkusTestResource(value = MaintenanceAtStartTest.Deploy.class, restrictToAnnotatedClass = true)
class MaintenanceAtStartTest {

    public static class Profile implements QuarkusTestProfile {
    }

    /**
     * deploy-service as the monitor sees it: shop and docs in maintenance, blog live, wiki an error. Records what it is
     * asked.
     */
    public static class Deploy implements QuarkusTestResourceLifecycleManager {
        static final List<String> ASKED = new CopyOnWriteArrayList<>();
        private Vertx vertx;

        @Override
        public Map<String, String> start() {
            vertx = Vertx.vertx();
            CompletableFuture<HttpServer> started = new CompletableFuture<>();
            vertx.createHttpServer().requestHandler(request -> {
                String site = request.getParam("site");
                if (request.path().equals("/api/maintenance")) {
                    ASKED.add(site + " " + request.getHeader("Authorization"));
                }
                if (!request.path().equals("/api/maintenance") || "wiki".equals(site)) {
                    request.response().setStatusCode(request.path().equals("/health") ? 200 : 500).end("ok");
                    return;
                }
                boolean down = "shop".equals(site) || "docs".equals(site);
                JsonObject answer = new JsonObject().put("site", site).put("maintenance", down);
                if ("shop".equals(site)) {
                    answer.put("message", "Moving to a new disk.").put("since", "2026-12-06T10:00:00Z");
                }
                request.response().putHeader("Content-Type", "application/json").end(answer.encode());
            }).listen(0, "127.0.0.1").onComplete(result -> {
                if (result.succeeded()) {
                    started.complete(result.result());
                } else {
                    started.completeExceptionally(result.cause());
                }
            });
            int port;
            try {
                port = started.get(10, TimeUnit.SECONDS).actualPort();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            String http = "http://127.0.0.1:" + port;
            Map<String, String> config = new java.util.HashMap<>();
            config.put("edgestack.monitor.deploy.url", http);
            config.put("edgestack.monitor.deploy.token", "deploy-token-at-start");
            config.put("quarkus.datasource.jdbc.url", storeWithAnApiCheck());
            for (String site : List.of("shop", "blog", "wiki")) {
                config.put("edgestack.monitor.checks." + site + ".url", http + "/health");
                config.put("edgestack.monitor.checks." + site + ".interval", "1h");
                config.put("edgestack.monitor.checks." + site + ".site", site);
            }
            return config;
        }

        /**
         * The monitor's store as a restarted monitor finds it: its schema, and a check added through the API before the
         * restart (docs) as the API keeps it.
         */
        private static String storeWithAnApiCheck() {
            java.nio.file.Path file = java.nio.file.Path.of("target/monitor-maintenance-at-start").toAbsolutePath();
            String url = "jdbc:h2:file:" + file + ";DB_CLOSE_ON_EXIT=FALSE";
            try {
                java.nio.file.Files.deleteIfExists(java.nio.file.Path.of(file + ".mv.db"));
                org.flywaydb.core.Flyway.configure().dataSource(url, "edgestack", "")
                        .locations("classpath:db/migration", "classpath:db/h2").load().migrate();
                try (var connection = java.sql.DriverManager.getConnection(url, "edgestack", "");
                        var insert = connection.prepareStatement(
                                "INSERT INTO api_check (name, settings, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)")) {
                    insert.setString(1, "docs");
                    insert.setString(2, "{\"url\":\"http://127.0.0.1:9/health\",\"interval\":\"1h\",\"site\":\"docs\"}");
                    insert.executeUpdate();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return url;
        }

        @Override
        public void stop() {
            vertx.close();
        }
    }

    @Test
    void aSiteInMaintenanceAtStartHasItsWindowAndTheOthersNone() throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!given().get("/api/status").jsonPath().getList("maintenance.id").contains("maintenance-shop")
                && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        while (given().get("/api/status").jsonPath().getList("maintenance.id").size() < 2 && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        assertEquals(List.of("maintenance-docs", "maintenance-shop"),
                given().get("/api/status").jsonPath().getList("maintenance.id", String.class).stream().sorted().toList(),
                "docs, a check added through the API, is held too");
        assertTrue(given().get("/").asString().contains("Maintenance on shop: Moving to a new disk."));
        assertEquals(List.of("blog Bearer deploy-token-at-start", "docs Bearer deploy-token-at-start",
                "shop Bearer deploy-token-at-start", "wiki Bearer deploy-token-at-start"),
                Deploy.ASKED.stream().sorted().toList(), "each site asked once, with the token");
    }
}
