package io.edgestack.proxy.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

@QuarkusTest
@TestProfile(TlsTest.TlsProfile.class)
class TlsTest {

    static final Path DIR = Path.of("target/tls").toAbsolutePath();
    static final Path KEYSTORE = DIR.resolve("proxy.p12");

    public static class TlsProfile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            keystore("first.test", KEYSTORE);
            return Map.of(
                    "quarkus.http.ssl.certificate.key-store-file", KEYSTORE.toString(),
                    "quarkus.http.ssl.certificate.key-store-password", "changeit",
                    "quarkus.http.ssl.certificate.reload-period", "30s",
                    "quarkus.http.test-ssl-port", "0",
                    "quarkus.http.insecure-requests", "enabled");
        }
    }

    static void keystore(String name, Path target) {
        try {
            Files.createDirectories(DIR);
            Path fresh = DIR.resolve(name + ".p12");
            Files.deleteIfExists(fresh);
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process process = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "proxy", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-dname", "CN=" + name, "-ext", "SAN=dns:" + name + ",dns:localhost,ip:127.0.0.1",
                    "-validity", "2", "-storetype", "PKCS12", "-keystore", fresh.toString(), "-storepass", "changeit"))
                    .redirectErrorStream(true).start();
            if (process.waitFor() != 0) {
                throw new IllegalStateException(new String(process.getInputStream().readAllBytes()));
            }
            Files.move(fresh, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @TestHTTPResource(value = "/", tls = true)
    URL https;

    @TestHTTPResource("/")
    URL http;

    private static HttpClient client() throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, new SecureRandom());
        return HttpClient.newBuilder().sslContext(context).version(HttpClient.Version.HTTP_2).build();
    }

    private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String subject(HttpResponse<?> response) throws Exception {
        SSLSession session = response.sslSession().orElseThrow();
        return ((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    @Test
    void terminatesTlsWithHttp2AndSendsHsts() throws Exception {
        HttpResponse<String> response = get(client(), https + "missing");
        assertEquals(HttpClient.Version.HTTP_2, response.version());
        assertEquals("max-age=31536000; includeSubDomains", response.headers().firstValue("Strict-Transport-Security").orElse(null));
        HttpResponse<String> plain = get(client(), http + "missing");
        assertNull(plain.headers().firstValue("Strict-Transport-Security").orElse(null), "no HSTS over plain HTTP");
    }

    @Test
    void sendsAPrecompressedFileOverHttp2AsItIs() throws Exception {
        // HTTP/2 over TLS, what browsers speak: a gzip sidecar went out gzipped a second time
        String text = "export const answer = 42;\n".repeat(100);
        java.io.ByteArrayOutputStream gzipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gzipped)) {
            out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        io.edgestack.proxy.files.TestRelease release = new io.edgestack.proxy.files.TestRelease(Path.of("target/test-releases"),
                "example").clear();
        release.file("r1", "app.js", text);
        release.file("r1", "app.js.gz", gzipped.toByteArray());
        release.activate("r1");
        HttpResponse<byte[]> response = client().send(HttpRequest.newBuilder(URI.create(https + "app.js"))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(HttpClient.Version.HTTP_2, response.version());
        assertEquals(200, response.statusCode());
        assertEquals("gzip", response.headers().firstValue("Content-Encoding").orElse(null));
        try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(response.body()))) {
            assertEquals(text, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), "decoded once");
        }
    }

    @Test
    void speaksH2cOnThePlainPort() throws Exception {
        HttpResponse<String> response = get(client(), http + "missing");
        assertEquals(HttpClient.Version.HTTP_2, response.version(), "upgraded with h2c");
    }

    @Test
    void reloadsTheCertificateWhenTheFileChanges() throws Exception {
        assertTrue(subject(get(client(), https + "missing")).contains("first.test"));
        keystore("second.test", KEYSTORE);
        long deadline = System.nanoTime() + 45_000_000_000L;
        int failedHandshakes = 0;
        while (true) {
            try {
                if (subject(get(client(), https + "missing")).contains("second.test")) {
                    break;
                }
            } catch (javax.net.ssl.SSLHandshakeException duringTheSwap) {
                // Vert.x 4.5 can fail a handshake accepted in the instant its SSL options are replaced; a client retries
                assertTrue(++failedHandshakes <= 3, "handshakes keep failing after the reload: " + duringTheSwap);
            }
            assertTrue(System.nanoTime() < deadline, "certificate not reloaded");
            Thread.sleep(200);
        }
        keystore("first.test", KEYSTORE);
    }
}
