package io.edgestack.tunnel.connector;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.net.URL;
import java.time.Duration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.restassured.RestAssured;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(ConnectorModeTest.ConnectorProfile.class)
@QuarkusTestResource(value = FakeEdgeListener.class, restrictToAnnotatedClass = true)
class ConnectorModeTest {

    public static class ConnectorProfile implements QuarkusTestProfile {
    }

    @TestHTTPResource(value = "", management = true)
    URL management;

    @BeforeEach
    void noPublicPortSoRestAssuredUsesManagement() {
        // A connector has no public HTTP port: the default port Quarkus hands RestAssured is not valid here.
        RestAssured.port = management.getPort();
    }

    @Test
    void isReadyWhileAnEdgeAnswersAndUnreadyOnceItIsGone() throws Exception {
        String address = "127.0.0.1:" + FakeEdgeListener.socket.getLocalPort();
        given().get(management + "health/ready").then().statusCode(200)
                .body("checks[0].data.mode", equalTo("connector"), "checks[0].data.'" + address + "'", equalTo("reachable"));

        FakeEdgeListener.close();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int status = 200;
        while (status == 200 && System.nanoTime() < deadline) {
            Thread.sleep(50);
            status = given().get(management + "health/ready").statusCode();
        }
        given().get(management + "health/ready").then().statusCode(503)
                .body("checks[0].data.'" + address + "'", startsWith("unreachable"));
    }
}
