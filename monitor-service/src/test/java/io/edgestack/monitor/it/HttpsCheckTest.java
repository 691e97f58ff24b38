package io.edgestack.monitor.it;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;

/**
 * http checks of an https site whose certificate is self-signed and runs out in five days, as Uptime Kuma's HTTPS
 * monitors with "ignore TLS/SSL errors" and "certificate expiry notification": verified by default (it fails), accepted
 * when told to ignore TLS errors (up, its days left read), and down with cause {@code certificate} when its
 * {@code tls-days} asks for more days than are left; that incident on a site's check asks deploy-service for no rollback.
 */
@QuarkusTest
@TestProfile(HttpsCheckTest.Profile.class)
@QuarkusTestResource(value = HttpsCheckTest.Site.class, restrictToAnnotatedClass = true)
class HttpsCheckTest {

    public static class Profile implements QuarkusTestProfile {
    }

    public static class Site implements QuarkusTestResourceLifecycleManager {
        private Targets targets;
        private Path root;

        @Override
        public Map<String, String> start() {
            try {
                root = Files.createTempDirectory("edgestack-https-check");
                targets = new Targets(root).start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            String url = "https://127.0.0.1:" + targets.httpsPort() + "/health";
            Map<String, String> config = new java.util.HashMap<>();
            config.put("quarkus.datasource.jdbc.url", "jdbc:h2:mem:monitor-https-check;DB_CLOSE_DELAY=-1");
            config.put("edgestack.monitor.checks.strict.url", url);
            config.put("edgestack.monitor.checks.lenient.url", url);
            config.put("edgestack.monitor.checks.lenient.ignore-tls-errors", "true");
            config.put("edgestack.monitor.checks.expiring.url", url);
            config.put("edgestack.monitor.checks.expiring.ignore-tls-errors", "true");
            config.put("edgestack.monitor.checks.expiring.tls-days", "14");
            // the site's check: deploy-service (here the same server, which logs what it is asked) hears of no incident
            config.put("edgestack.monitor.checks.expiring.site", "shop");
            config.put("edgestack.monitor.checks.expiring.failures-before-down", "1");
            config.put("edgestack.monitor.deploy.url", "http://127.0.0.1:" + targets.httpPort());
            config.put("edgestack.monitor.deploy.token", "deploy-token-https-check");
            // read back by the test through the configuration: a static field of the resource may live in another class loader
            config.put("test.https-check.root", root.toString());
            for (String check : new String[] { "strict", "lenient", "expiring" }) {
                config.put("edgestack.monitor.checks." + check + ".interval", "1s");
            }
            return config;
        }

        @Override
        public void stop() {
            targets.stop();
        }
    }

    @io.quarkus.test.common.http.TestHTTPResource(value = "", management = true)
    java.net.URL management;

    private static JsonPath check(String name) {
        return given().get("/api/status").then().statusCode(200).extract().jsonPath()
                .setRootPath("checks.find { it.name == '" + name + "' }");
    }

    @Test
    void anHttpsSitesCertificateIsVerifiedUnlessToldOtherwiseAndItsExpiryJudgedWhenAsked() throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ((check("strict").getString("last.cause") == null || check("lenient").getString("last.cause") == null
                || check("expiring").getString("last.cause") == null) && System.nanoTime() < until) {
            Thread.sleep(200);
        }
        JsonPath strict = check("strict");
        assertEquals("tls", strict.getString("last.cause"), "a self-signed certificate is refused: " + strict.prettify());
        JsonPath lenient = check("lenient");
        assertEquals("ok", lenient.getString("last.cause"), lenient.prettify());
        assertTrue(lenient.getInt("last.certDaysLeft") <= 5, "its expiry is read all the same: " + lenient.prettify());
        JsonPath expiring = check("expiring");
        assertEquals("certificate", expiring.getString("last.cause"), expiring.prettify());
        assertTrue(expiring.getString("last.summary").startsWith("HTTP 200 in "), expiring.getString("last.summary"));
        assertTrue(expiring.getString("last.summary").contains("certificate CN=soon.example.test expires in"),
                expiring.getString("last.summary"));
        assertTrue(expiring.getString("last.summary").contains("(threshold 14)"), expiring.getString("last.summary"));
        assertNull(strict.get("last.certDaysLeft"), "no certificate read from a refused handshake");
        // an incident of an expiring certificate asks for no rollback: no release changes a certificate
        while (given().get("/api/incidents?check=expiring").jsonPath().getList("id").isEmpty() && System.nanoTime() < until) {
            Thread.sleep(200);
        }
        JsonPath incident = given().get("/api/incidents?check=expiring").jsonPath();
        assertEquals("certificate", incident.getString("[0].cause"), incident.prettify());
        assertEquals("no rollback: the certificate expires soon, not the release", incident.getString("[0].note"));
        // what deploy-service was asked: about the incident, nothing (the site's other calls, if any, are not rollbacks)
        Targets asked = new Targets(Path.of(org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getValue("test.https-check.root", String.class)));
        assertTrue(asked.requests().stream().noneMatch(l -> l.startsWith("POST /api/incidents")), asked.requests().toString());
        String metrics = given().get(management + "metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("edgestack_monitor_check_cert_expiry_days{check=\"lenient\""), metrics);
    }
}
