package io.edgestack.deploy.health;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class StorageCheckTest {

    @TestHTTPResource(value = "", management = true)
    URL management;

    @TestHTTPResource("/q")
    URL publicPort;

    @Test
    void isUnreadyUntilTheSourceRepositoryExists() throws Exception {
        Path repository = Path.of("target/test-data/site-repo");
        Files.deleteIfExists(repository);
        given().get(management + "health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'storage' }.data.repository", startsWith("example: missing: "),
                        "checks.find { it.name == 'storage' }.data.releases-root", equalTo("writable"));

        Files.createDirectories(repository);
        given().get(management + "health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'storage' }.data.repository", startsWith("example: local "));
    }

    @Test
    void servesMetricsOnTheManagementPortOnly() {
        given().get(management + "metrics").then().statusCode(200).body(containsString("# TYPE"));
        given().get(publicPort + "/metrics").then().statusCode(404);
    }
}
