package io.edgestack.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgestack.proxy.http.RawHttp;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** {@code quarkus.http.insecure-requests=redirect}: the plain port sends every request to the same URL over HTTPS. */
@QuarkusTest
@TestProfile(InsecureRedirectTest.RedirectProfile.class)
class InsecureRedirectTest {

    static final Path KEYSTORE = TlsTest.DIR.resolve("redirect.p12");

    public static class RedirectProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            TlsTest.keystore("redirect.test", KEYSTORE);
            return Map.of(
                    "quarkus.http.ssl.certificate.key-store-file", KEYSTORE.toString(),
                    "quarkus.http.ssl.certificate.key-store-password", "changeit",
                    "quarkus.http.test-ssl-port", "0",
                    "quarkus.http.insecure-requests", "redirect");
        }
    }

    @TestHTTPResource(value = "/", tls = true)
    URL https;

    @TestHTTPResource("/")
    URL http;

    @Test
    void redirectsPlainRequestsToHttps() {
        RawHttp.Answer answer = RawHttp.send(http.getPort(),
                "GET /blog/post?page=2 HTTP/1.1\r\nHost: example.test:" + http.getPort() + "\r\nConnection: close\r\n\r\n");
        assertEquals(301, answer.status(), answer.head());
        assertEquals("https://example.test:" + https.getPort() + "/blog/post?page=2", answer.header("Location"), answer.head());
    }
}
