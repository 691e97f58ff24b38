package io.edgestack.monitor.health;

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
class DataDirCheckTest {

    @TestHTTPResource(value = "", management = true)
    URL management;

    @TestHTTPResource("/q")
    URL publicPort;

    @Test
    void isUnreadyWhileTheDataFolderCannotBeCreated() throws Exception {
        Path dir = Path.of("target/test-data/monitor");
        given().get(management + "health/ready").then().statusCode(200).body("checks.find { it.name == 'data-dir' }.data.problem", equalTo("none"));

        Files.delete(dir);
        Files.writeString(dir, "a file where the folder should be");
        try {
            given().get(management + "health/ready").then().statusCode(503)
                    .body("checks.find { it.name == 'data-dir' }.data.problem", startsWith("cannot create"));
        } finally {
            Files.delete(dir);
        }
        given().get(management + "health/ready").then().statusCode(200);
    }

    @Test
    void servesMetricsOnTheManagementPortOnly() {
        given().get(management + "metrics").then().statusCode(200).body(containsString("# TYPE"));
        given().get(publicPort + "/metrics").then().statusCode(404);
    }
}
