package io.edgestack.tunnel.tls;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * The edge with TLS on, against a real ACME server (Pebble): a certificate obtained over HTTP-01 on the edge's plain
 * HTTP port, served by SNI on the HTTPS listener with HSTS, plain HTTP redirected, a stored certificate reused, a
 * renewal on request, and a failed renewal (the ACME server gone) that keeps the current certificate in service.
 */
@QuarkusTest
@TestProfile(AcmeTest.WithPebble.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AcmeTest {

    public static class WithPebble implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(PebbleResource.class));
        }
    }

    @TestHTTPResource(value = "", management = true)
    URL management;

    private String admin(String path) {
        return management.toString().replace("/q/", "") + path;
    }

    @Test
    @Order(1)
    void obtainsACertificateOverHttp01AndServesItBySniWithHstsAndRedirectsPlainHttp() throws Exception {
        await("a certificate for " + PebbleResource.HOST, () -> given().auth().oauth2("test-admin-token")
                .get(admin("/admin/certificates")).jsonPath().getString("certificates.find { it.host == '"
                        + PebbleResource.HOST + "' }.notAfter") != null);
        // The stored certificate past two thirds of its life was renewed at start, from the ACME server.
        await("the stale certificate renewed", () -> given().auth().oauth2("test-admin-token")
                .get(admin("/admin/certificates")).jsonPath().getString("certificates.find { it.host == '"
                        + PebbleResource.STALE + "' }.issuer").contains("Pebble"));

        Answer https = https(PebbleResource.HOST, "GET /page?x=1 HTTP/1.1\r\nHost: " + PebbleResource.HOST
                + "\r\nConnection: close\r\n\r\n");
        assertTrue(https.leaf().getSubjectAlternativeNames().toString().contains(PebbleResource.HOST), https.leaf().toString());
        assertTrue(https.leaf().getIssuerX500Principal().getName().contains("Pebble"), https.leaf().getIssuerX500Principal().getName());
        assertTrue(https.head().startsWith("HTTP/1.1 521"), "through to the ingress (no connector here): " + https.head());
        assertTrue(https.head().contains("Strict-Transport-Security: max-age=31536000"), https.head());

        verifiedAgainstPebblesRoot(PebbleResource.HOST);
        assertEquals("h2", alpn(PebbleResource.HOST, "h2", "http/1.1"), "HTTP/2 by ALPN");
        assertEquals("http/1.1", alpn(PebbleResource.HOST, "http/1.1"));

        assertThrows(SSLHandshakeException.class, () -> https("other.edgestack.test", "GET / HTTP/1.1\r\n\r\n"),
                "a name with no certificate gets none");

        // Plain HTTP: a host with a certificate is sent to HTTPS, method and body kept; challenges are never redirected.
        int http = PebbleResource.httpPort;
        io.restassured.response.Response redirect = given().redirects().follow(false).header("Host", PebbleResource.HOST)
                .get("http://127.0.0.1:" + http + "/blog/?page=2");
        assertEquals(308, redirect.statusCode());
        assertEquals("https://" + PebbleResource.HOST + ":" + PebbleResource.tlsPort + "/blog/?page=2", redirect.header("Location"));
        assertEquals(404, given().redirects().follow(false).header("Host", PebbleResource.HOST)
                .get("http://127.0.0.1:" + http + "/.well-known/acme-challenge/no-such-token").statusCode());
        assertNotEquals(308, given().redirects().follow(false).get("http://127.0.0.1:" + http + "/").statusCode(),
                "localhost has no certificate: no redirect");

        // Kept on disk, readable by the service only; the certificate already in the folder was reused, not ordered.
        Path root = PebbleResource.dir.resolve("acme");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("account.pem"))));
        Path hostDir = root.resolve("certificates/" + PebbleResource.HOST);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(hostDir.resolve("key.pem"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(hostDir)));
        Answer kept = https(PebbleResource.KEPT, "GET / HTTP/1.1\r\nHost: " + PebbleResource.KEPT + "\r\nConnection: close\r\n\r\n");
        assertEquals("CN=" + PebbleResource.KEPT, kept.leaf().getIssuerX500Principal().getName(), "the stored one, self-signed");

        String metrics = given().get(management.toString() + "metrics").asString();
        assertEquals(1.0, metric(metrics, "edgestack_tunnel_acme_orders_total{result=\"issued\"}"), "one order: the kept one was reused");
        assertEquals(1.0, metric(metrics, "edgestack_tunnel_acme_orders_total{result=\"renewed\"}"), "the stale one");
        assertEquals(https.leaf().getNotAfter().toInstant().getEpochSecond(),
                (long) metric(metrics, "edgestack_tunnel_certificate_expiry_timestamp_seconds{host=\"" + PebbleResource.HOST + "\"}"));
    }

    @Test
    @Order(3)
    void aConnectionThatSendsNoRequestHeadInTimeIsClosed() throws Exception {
        // A slowloris client (here: one that connects and says nothing, handshake included) loses the connection at
        // request-head-timeout (3 s in this profile), as with nginx's client_header_timeout.
        double seconds = io.edgestack.testkit.SlowClient.secondsUntilClosed(PebbleResource.tlsPort, 8);
        assertTrue(seconds >= 2.8 && seconds < 6, "closed after " + seconds + " s (limit 3 s)");
        assertEquals(1.0, metric(given().get(management.toString() + "metrics").asString(),
                "edgestack_tunnel_edge_request_head_timeouts_total{listener=\"https\"}"));
    }

    @Test
    @Order(2)
    void renewsOnRequestAndAFailedRenewalKeepsServingTheCurrentCertificate() throws Exception {
        String request = "GET / HTTP/1.1\r\nHost: " + PebbleResource.HOST + "\r\nConnection: close\r\n\r\n";
        X509Certificate before = https(PebbleResource.HOST, request).leaf();
        given().auth().oauth2("test-admin-token").post(admin("/admin/certificates/" + PebbleResource.HOST + "/renew"))
                .then().statusCode(200);
        X509Certificate renewed = https(PebbleResource.HOST, request).leaf();
        assertNotEquals(before.getSerialNumber(), renewed.getSerialNumber(), "the renewed certificate is served at once");
        assertEquals(2.0, metric(given().get(management.toString() + "metrics").asString(),
                "edgestack_tunnel_acme_orders_total{result=\"renewed\"}"));

        // A challenge the CA refuses (its DNS now sends it to an address where nothing answers): the order fails with
        // the CA's reason, and the certificate in service stays.
        PebbleResource.pointDns(PebbleResource.HOST, "127.0.0.2");
        io.restassured.response.Response refused = given().auth().oauth2("test-admin-token")
                .post(admin("/admin/certificates/" + PebbleResource.HOST + "/renew"));
        assertEquals(502, refused.statusCode(), refused.asString());
        assertEquals("application/problem+json", refused.contentType());
        assertTrue(refused.asString().contains("challenge for " + PebbleResource.HOST + " failed"), refused.asString());
        assertEquals(renewed.getSerialNumber(), https(PebbleResource.HOST, request).leaf().getSerialNumber(),
                "still serving the certificate it has");
        String state = given().auth().oauth2("test-admin-token").get(admin("/admin/certificates")).asString();
        assertTrue(state.contains("challenge for " + PebbleResource.HOST + " failed"), state);

        // The ACME server gone altogether: the same.
        PebbleResource.stopPebble();
        io.restassured.response.Response failed = given().auth().oauth2("test-admin-token")
                .post(admin("/admin/certificates/" + PebbleResource.HOST + "/renew"));
        assertEquals(502, failed.statusCode(), failed.asString());
        assertTrue(failed.asString().contains("cannot be reached"), failed.asString());
        assertEquals(renewed.getSerialNumber(), https(PebbleResource.HOST, request).leaf().getSerialNumber());
        verifiedAgainstPebblesRoot(PebbleResource.HOST);
        String metrics = given().get(management.toString() + "metrics").asString();
        assertEquals(2.0, metric(metrics, "edgestack_tunnel_acme_orders_total{result=\"failed\"}"));
        assertTrue(metric(metrics, "edgestack_tunnel_acme_errors_total{kind=\"connection\"}") >= 1.0);
    }

    /** A handshake that checks the served chain against Pebble's root and the name against the certificate. */
    static void verifiedAgainstPebblesRoot(String host) throws Exception {
        java.security.KeyStore roots = java.security.KeyStore.getInstance("PKCS12");
        roots.load(null, null);
        roots.setCertificateEntry("pebble", PebbleResource.pebbleRoot());
        javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        trust.init(roots);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        try (java.net.Socket plain = new java.net.Socket("127.0.0.1", PebbleResource.tlsPort);
                SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, PebbleResource.tlsPort, true)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(host)));
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.startHandshake(); // throws unless the chain ends in Pebble's root and names the host
        }
    }

    record Answer(X509Certificate leaf, String head) {
    }

    /** One HTTPS exchange with {@code sni} as the server name, trusting whatever certificate the edge shows. */
    private static Answer https(String sni, String request) throws Exception {
        SSLContext context = trustingAnything();
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", PebbleResource.tlsPort)) {
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(sni)));
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            X509Certificate leaf = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            return new Answer(leaf, end < 0 ? text : text.substring(0, end));
        }
    }

    /** A client that takes whatever certificate the edge shows: the tests look at that certificate themselves. */
    static SSLContext trustingAnything() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String type) {
            }

            public void checkServerTrusted(X509Certificate[] chain, String type) {
            }

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        } }, null);
        return context;
    }

    /** The protocol the listener picks by ALPN among {@code offered}. */
    private static String alpn(String sni, String... offered) throws Exception {
        SSLContext context = trustingAnything();
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", PebbleResource.tlsPort)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(sni)));
            parameters.setApplicationProtocols(offered);
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            return socket.getApplicationProtocol();
        }
    }

    private static double metric(String text, String sample) {
        for (String line : text.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        throw new AssertionError("no sample " + sample + " in:\n" + text.lines()
                .filter(l -> l.contains("acme") || l.contains("certificate")).reduce("", (a, b) -> a + b + "\n"));
    }

    private static void await(String what, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; pebble log:\n"
                        + Files.readString(PebbleResource.dir.resolve("pebble.log")));
            }
            Thread.sleep(250);
        }
    }
}
