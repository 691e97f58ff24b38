package io.edgestack.tunnel.tls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A real ACME server for the edge under test: Let's Encrypt's Pebble (Debian package {@code pebble}) with its mock DNS
 * server pebble-challtestsrv, which answers every name with 127.0.0.1, so Pebble validates HTTP-01 challenges against
 * the edge's own plain HTTP port. Pebble's HTTPS certificate is made here with openssl; the edge trusts it through
 * {@code acme.trust-file}. A second, already valid certificate is put in the edge's storage folder before it starts.
 */
public class PebbleResource implements QuarkusTestResourceLifecycleManager {

    private Map<String, String> more = Map.of();

    @Override
    public void init(Map<String, String> initArgs) {
        more = initArgs;
    }

    static final String HOST = "site.edgestack.test";
    static final String KEPT = "kept.edgestack.test";
    /** Stored with a certificate past two thirds of its life (80 of 90 days): renewed at start. */
    static final String STALE = "stale.edgestack.test";

    static Path dir;
    static int acmePort;
    static int managementPort;
    static int httpPort;
    static int tlsPort;
    static int dnsManagementPort;
    private static java.security.cert.X509Certificate root;
    private static final List<Process> processes = new ArrayList<>();

    @Override
    public Map<String, String> start() {
        root = null;
        try {
            dir = Files.createTempDirectory("edgestack-pebble");
            acmePort = freePort();
            managementPort = freePort();
            httpPort = freePort();
            tlsPort = freePort();
            int dnsPort = freePort();
            dnsManagementPort = freePort();
            run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", dir.resolve("pebble-key.pem").toString(), "-out", dir.resolve("pebble-cert.pem").toString());
            Path kept = Files.createDirectories(dir.resolve("acme/certificates/" + KEPT));
            run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", kept.resolve("key.pem").toString());
            run("openssl", "req", "-x509", "-key", kept.resolve("key.pem").toString(), "-days", "90", "-subj", "/CN=" + KEPT,
                    "-addext", "subjectAltName=DNS:" + KEPT, "-out", kept.resolve("chain.pem").toString());
            Path stale = Files.createDirectories(dir.resolve("acme/certificates/" + STALE));
            java.security.KeyPair staleKey = org.shredzone.acme4j.util.KeyPairUtils.createKeyPair(2048);
            java.time.Instant now = java.time.Instant.now();
            java.security.cert.X509Certificate old = org.shredzone.acme4j.util.CertificateUtils.createTestRootCertificate(
                    "CN=" + STALE, now.minus(java.time.Duration.ofDays(80)), now.plus(java.time.Duration.ofDays(10)), staleKey);
            try (var writer = Files.newBufferedWriter(stale.resolve("key.pem"))) {
                org.shredzone.acme4j.util.KeyPairUtils.writeKeyPair(staleKey, writer);
            }
            Files.writeString(stale.resolve("chain.pem"), "-----BEGIN CERTIFICATE-----\n"
                    + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(old.getEncoded())
                    + "\n-----END CERTIFICATE-----\n");
            Files.writeString(dir.resolve("pebble.json"), """
                    {"pebble": {"listenAddress": "127.0.0.1:%d", "managementListenAddress": "127.0.0.1:%d",
                      "certificate": "%s", "privateKey": "%s", "httpPort": %d, "tlsPort": %d,
                      "ocspResponderURL": "", "externalAccountBindingRequired": false}}
                    """.formatted(acmePort, managementPort, dir.resolve("pebble-cert.pem"), dir.resolve("pebble-key.pem"),
                    httpPort, tlsPort));
            start(List.of("pebble-challtestsrv", "-dns01", "127.0.0.1:" + dnsPort, "-http01", "", "-https01", "",
                    "-tlsalpn01", "", "-management", "127.0.0.1:" + dnsManagementPort, "-defaultIPv4", "127.0.0.1",
                    "-defaultIPv6", ""), "challtestsrv.log");
            startPebble(dnsPort);
            Map<String, String> config = new java.util.HashMap<>(Map.ofEntries(
                    Map.entry("quarkus.http.test-port", String.valueOf(httpPort)),
                    Map.entry("quarkus.http.host", "127.0.0.1"),
                    Map.entry("edgestack.tunnel.edge.tunnels.acme.hosts", HOST + "," + KEPT + "," + STALE),
                    Map.entry("edgestack.tunnel.edge.tls.enabled", "true"),
                    Map.entry("edgestack.tunnel.edge.tls.request-head-timeout", "3s"),
                    Map.entry("edgestack.tunnel.edge.tls.host", "127.0.0.1"),
                    Map.entry("edgestack.tunnel.edge.tls.port", String.valueOf(tlsPort)),
                    Map.entry("edgestack.tunnel.edge.tls.hosts", HOST + "," + KEPT + "," + STALE),
                    Map.entry("edgestack.tunnel.edge.tls.acme.directory", "https://127.0.0.1:" + acmePort + "/dir"),
                    Map.entry("edgestack.tunnel.edge.tls.acme.trust-file", dir.resolve("pebble-cert.pem").toString()),
                    Map.entry("edgestack.tunnel.edge.tls.acme.storage-dir", dir.resolve("acme").toString()),
                    Map.entry("edgestack.tunnel.edge.tls.acme.email", "ops@edgestack.test"),
                    Map.entry("edgestack.tunnel.edge.tls.acme.timeout", "30s"),
                    Map.entry("edgestack.tunnel.edge.tls.acme.retry-initial", "2s")));
            config.putAll(more);
            return config;
        } catch (IOException | InterruptedException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("could not start Pebble (apt-get install pebble): " + e, e);
        }
    }


    private static void startPebble(int dnsPort) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("pebble", "-config", dir.resolve("pebble.json").toString(),
                "-dnsserver", "127.0.0.1:" + dnsPort, "-strict=false").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("pebble.log").toFile()));
        builder.environment().put("PEBBLE_VA_NOSLEEP", "1");
        builder.environment().put("PEBBLE_WFE_NONCEREJECT", "0");
        builder.environment().put("PEBBLE_AUTHZREUSE", "0");
        processes.add(builder.start());
        awaitPort(acmePort);
    }

    /** Makes the mock DNS answer {@code host} with {@code address}: Pebble then validates challenges there. */
    static void pointDns(String host, String address) throws IOException, InterruptedException {
        java.net.http.HttpResponse<String> answer = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + dnsManagementPort + "/add-a"))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                                "{\"host\": \"" + host + ".\", \"addresses\": [\"" + address + "\"]}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IOException("challtestsrv refused the A record: " + answer.statusCode() + " " + answer.body());
        }
    }

    /** Pebble's root CA of this run (from its management interface), which the certificates it issues chain to. */
    static synchronized java.security.cert.X509Certificate pebbleRoot() throws Exception {
        if (root != null) {
            return root; // it lives as long as that Pebble process: kept for after it was stopped
        }
        javax.net.ssl.SSLContext trusting = AcmeIssuer.trusting(dir.resolve("pebble-cert.pem"));
        java.net.http.HttpResponse<byte[]> answer = java.net.http.HttpClient.newBuilder().sslContext(trusting).build().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + managementPort + "/roots/0"))
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        root = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(answer.body()));
        return root;
    }

    /** Stops Pebble (the ACME server becomes unreachable), to show a failed renewal. */
    static void stopPebble() throws InterruptedException {
        Process pebble = processes.get(processes.size() - 1);
        pebble.destroy();
        pebble.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void stop() {
        processes.forEach(Process::destroyForcibly);
        processes.clear();
    }

    private static void start(List<String> command, String log) throws IOException {
        processes.add(new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(log).toFile())).start());
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("openssl.log").toFile())).start();
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + Files.readString(dir.resolve("openssl.log")));
        }
    }

    private static void awaitPort(int port) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IOException("Pebble did not listen on " + port + ": " + Files.readString(dir.resolve("pebble.log")));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
