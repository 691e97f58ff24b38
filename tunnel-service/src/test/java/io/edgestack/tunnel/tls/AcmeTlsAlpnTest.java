package io.edgestack.tunnel.tls;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * TLS-ALPN-01 (RFC 8737) against a real Pebble: with only that challenge type allowed, the ACME server validates on
 * the edge's HTTPS listener ({@code acme-tls/1} by ALPN, a validation certificate for the name) and the certificate
 * is obtained without the plain HTTP port.
 */
@QuarkusTest
@TestProfile(AcmeTlsAlpnTest.TlsAlpnOnly.class)
class AcmeTlsAlpnTest {

    public static class TlsAlpnOnly implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PebbleResource.class,
                    Map.of("edgestack.tunnel.edge.tls.acme.challenges", "tls-alpn-01")));
        }
    }

    @TestHTTPResource(value = "", management = true)
    URL management;

    @Test
    void obtainsACertificateThroughTheTlsListenerAlone() throws Exception {
        String certificates = management.toString().replace("/q/", "") + "/admin/certificates";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (given().auth().oauth2("test-admin-token").get(certificates).jsonPath()
                .getString("certificates.find { it.host == '" + PebbleResource.HOST + "' }.notAfter") == null) {
            assertTrue(System.nanoTime() < deadline, "no certificate; pebble log:\n"
                    + Files.readString(PebbleResource.dir.resolve("pebble.log")));
            Thread.sleep(250);
        }
        AcmeTest.verifiedAgainstPebblesRoot(PebbleResource.HOST);
        String log = Files.readString(PebbleResource.dir.resolve("pebble.log"));
        assertTrue(log.contains("set VALID by completed challenge"), log);
        assertTrue(!log.contains("Attempting to validate w/ HTTP"), "the plain HTTP port was not used:\n" + log);

        // Outside a pending challenge, an acme-tls/1 handshake is shown no certificate at all.
        javax.net.ssl.SSLContext context = AcmeTest.trustingAnything();
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                .createSocket("127.0.0.1", PebbleResource.tlsPort)) {
            javax.net.ssl.SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new javax.net.ssl.SNIHostName(PebbleResource.HOST)));
            parameters.setApplicationProtocols(new String[] { "acme-tls/1" });
            socket.setSSLParameters(parameters);
            org.junit.jupiter.api.Assertions.assertThrows(javax.net.ssl.SSLHandshakeException.class, socket::startHandshake);
        }
    }
}
