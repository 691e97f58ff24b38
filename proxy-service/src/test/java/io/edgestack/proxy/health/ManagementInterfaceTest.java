package io.edgestack.proxy.health;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
class ManagementInterfaceTest {

    @TestHTTPResource(value = "", management = true)
    URL management;

    @TestHTTPResource("/q")
    URL publicPort;

    @Test
    void servesPrometheusMetricsOnTheManagementPort() {
        given().accept("text/plain").get(management + "metrics")
                .then().statusCode(200)
                .contentType(containsString("text/plain"))
                .body(containsString("# TYPE jvm_memory_used_bytes gauge"));
    }

    @Test
    void keepsHealthAndMetricsOffThePublicPort() {
        given().get(publicPort + "/metrics").then().statusCode(404);
        given().get(publicPort + "/health/ready").then().statusCode(404);
    }

    @Test
    void isReadyOnlyWhileTheReleasesFolderIsReadable() throws Exception {
        Path root = Path.of("target/test-releases");
        Files.createDirectories(root);
        given().get(management + "health/ready").then().statusCode(200).body("status", equalTo("UP"));

        Path aside = Path.of("target/test-releases-aside");
        Files.move(root, aside);
        try {
            given().get(management + "health/ready").then().statusCode(503)
                    .body("checks.find { it.name == 'releases-root' }.data.problem", equalTo("folder missing or not readable"));
            given().get(management + "health/live").then().statusCode(200);
        } finally {
            Files.move(aside, root);
        }
    }
}
