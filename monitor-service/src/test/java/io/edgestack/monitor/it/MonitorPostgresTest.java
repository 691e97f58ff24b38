package io.edgestack.monitor.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgestack.testkit.PostgresResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;

/** The production storage option: with the {@code postgresql} profile, results and incidents live in a real PostgreSQL. */
@QuarkusTest
@TestProfile(MonitorPostgresTest.Postgres.class)
class MonitorPostgresTest {

    public static class Postgres implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "test,postgresql";
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PostgresResource.class), new TestResourceEntry(MonitorTestResource.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("edgestack.monitor.flush-interval", "1s");
        }
    }

    private static String state(String check) {
        return given().get("/api/status").jsonPath().getString("checks.find { it.name == '" + check + "' }.state");
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened: " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void recordsResultsAndIncidentsInPostgresql() throws Exception {
        Targets targets = new Targets(Path.of(System.getProperty("test.monitor.root")));
        await("web is up", () -> "up".equals(state("web")));
        targets.flag("site-down", true);
        try {
            await("web is down", () -> "down".equals(state("web")));
        } finally {
            targets.flag("site-down", false);
        }
        await("web is up again", () -> "up".equals(state("web")));
        JsonPath incidents = given().get("/api/incidents?check=web").jsonPath();
        assertEquals("status", incidents.getString("[0].cause"));
        assertTrue(incidents.getString("[0].endedAt") != null, incidents.prettify());

        Thread.sleep(1500); // one flush interval: the packed results are written
        try (Connection c = DriverManager.getConnection(System.getProperty(PostgresResource.URL_PROPERTY), "edgestack", "")) {
            try (ResultSet rs = c.createStatement().executeQuery(
                    "SELECT COUNT(*) FROM incident WHERE check_name = 'web' AND ended_at IS NOT NULL")) {
                rs.next();
                assertTrue(rs.getInt(1) >= 1, "the incident is a PostgreSQL row");
            }
            try (ResultSet rs = c.createStatement().executeQuery(
                    "SELECT SUM(total), SUM(ok), SUM(octet_length(data)) FROM check_hour WHERE check_name = 'web'")) {
                assertTrue(rs.next(), "the packed hours of web are stored");
                int total = rs.getInt(1);
                assertTrue(total >= 4 && rs.getInt(2) < total, "results of the outage counted: " + total + " runs");
                assertEquals(total * 8, rs.getInt(3), "8 bytes a result");
            }
            try (ResultSet rs = c.createStatement().executeQuery(
                    "SELECT COUNT(*) FROM check_result WHERE check_name = 'web' AND cause = 'status'")) {
                rs.next();
                assertTrue(rs.getInt(1) >= 2, "failed runs kept with what was seen");
            }
            try (ResultSet rs = c.createStatement().executeQuery("SELECT MAX(version) FROM flyway_schema_history")) {
                rs.next();
                assertEquals("4", rs.getString(1), "every migration applied, the announcements (V4) too");
            }
        }
    }
}
