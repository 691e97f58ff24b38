package io.edgestack.deploy.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.edgestack.testkit.PostgresResource;

import io.edgestack.deploy.webhook.Signatures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** The production storage option: with the {@code postgresql} profile, deployments live in a real PostgreSQL server. */
@QuarkusTest
@TestProfile(PostgresStoreTest.Postgres.class)
class PostgresStoreTest {

    public static class Postgres implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "test,postgresql";
        }

        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PostgresResource.class), new TestResourceEntry(DeployTestResource.class));
        }
    }

    @Test
    void recordsDeploymentsAndReleasesInPostgresql() throws Exception {
        SiteFixture fixture = new SiteFixture(Path.of(System.getProperty("test.deploy.root")));
        String commit = fixture.commit(Map.of("site/index.html", "<h1>on postgres</h1>"), Set.of(), "PG");
        String body = "{\"ref\":\"refs/heads/main\",\"after\":\"" + commit + "\"}";
        long id = given().header("X-GitHub-Event", "push").header("X-Hub-Signature-256", "sha256="
                + Signatures.hmacHex(DeployTestResource.WEBHOOK_SECRET, body.getBytes(StandardCharsets.UTF_8)))
                .body(body).post("/hooks/github").then().statusCode(202).extract().jsonPath().getLong("deployment");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String status = "queued";
        while ((status.equals("queued") || status.equals("running")) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            status = given().header("Authorization", "Bearer " + DeployTestResource.API_TOKEN).get("/api/deployments/" + id)
                    .jsonPath().getString("status");
        }
        assertEquals("succeeded", status);
        try (Connection c = DriverManager.getConnection(System.getProperty(PostgresResource.URL_PROPERTY), "edgestack", "");
                ResultSet rs = c.createStatement().executeQuery(
                        "SELECT d.status, r.commit_sha, (SELECT count(*) FROM flyway_schema_history) FROM deployment d"
                                + " JOIN site_release r ON r.name = d.release_name WHERE d.id = " + id)) {
            assertTrue(rs.next(), "deployment #" + id + " is in PostgreSQL");
            assertEquals("succeeded", rs.getString(1));
            assertEquals(commit, rs.getString(2));
            assertTrue(rs.getInt(3) >= 1, "Flyway migrated the PostgreSQL schema");
        }
    }
}
