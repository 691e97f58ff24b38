package io.edgestack.proxy.admin;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(ReloadTest.ReloadProfile.class)
class ReloadTest {

    static final Path SITES = Path.of("target/reload-sites.yaml").toAbsolutePath();
    static final String ONE_SITE = """
            default-site: blank
            sites:
              - name: blank
            """;
    static final String TWO_SITES = """
            default-site: blank
            sites:
              - name: blank
              - name: shop
                hosts: [shop.test]
            """;

    public static class ReloadProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.writeString(SITES, ONE_SITE);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            return Map.of("edgestack.proxy.sites-file", SITES.toString(),
                    "edgestack.proxy.admin-token", "s3cret-admin-token",
                    "edgestack.proxy.sites-file-check-interval", "100ms");
        }
    }

    @TestHTTPResource(value = "", management = true)
    URL management;

    private String admin() {
        return "http://localhost:" + management.getPort() + "/admin/reload";
    }

    private String siteOf(String host) {
        return given().header("Host", host).accept("application/json").get("/")
                .then().extract().jsonPath().getString("detail");
    }

    @Test
    void reloadsThroughTheAuthenticatedAdminApiAndRefusesAnInvalidFile() throws Exception {
        given().post(admin()).then().statusCode(401).header("WWW-Authenticate", containsString("Bearer"))
                .contentType("application/problem+json");
        given().auth().oauth2("wrong").post(admin()).then().statusCode(401);

        Files.writeString(SITES, TWO_SITES);
        given().auth().oauth2("s3cret-admin-token").post(admin()).then().statusCode(200)
                .body("sites", equalTo(2));
        org.junit.jupiter.api.Assertions.assertTrue(siteOf("shop.test").contains("Site 'shop'"));

        Files.writeString(SITES, "sites:\n  - name: blank\n    routes: [{path: nope, static: {}}]\n");
        given().auth().oauth2("s3cret-admin-token").post(admin()).then().statusCode(400)
                .body("detail", containsString("sites[0].routes[0].path: 'nope' must start with '/'"))
                .body("detail", containsString("previous sites keep serving"));
        org.junit.jupiter.api.Assertions.assertTrue(siteOf("shop.test").contains("Site 'shop'"), "the old sites still serve");
    }

    @Test
    void reloadsWhenTheFileChanges() throws Exception {
        Files.writeString(SITES, ONE_SITE);
        given().auth().oauth2("s3cret-admin-token").post(admin()).then().statusCode(200);
        org.junit.jupiter.api.Assertions.assertTrue(siteOf("shop.test").contains("Site 'blank'"));

        Files.writeString(SITES, TWO_SITES + "\n# edited\n");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!siteOf("shop.test").contains("Site 'shop'")) {
            org.junit.jupiter.api.Assertions.assertTrue(System.nanoTime() < deadline, "file change not picked up");
            Thread.sleep(50);
        }
    }

    @Test
    void theAdminApiIsNotOnThePublicPort() {
        given().auth().oauth2("s3cret-admin-token").post("/admin/reload").then().statusCode(405);
    }
}
