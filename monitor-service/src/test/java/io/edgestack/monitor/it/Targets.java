package io.edgestack.monitor.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyStore;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

/**
 * What monitor-service watches and talks to in tests, all real servers on loopback: a site ({@code /health} answers 500
 * while a {@code site-down} file exists), alert receivers ({@code /hook}, {@code /slack}; 503 while
 * {@code receiver-down} exists), a stand-in of deploy-service's incident endpoint, an open TCP port, and a TLS server
 * whose self-signed certificate expires in 5 days, and {@code /edge}, which answers as the suite's layers do when one
 * fails (RFC 9209 {@code Proxy-Status} from the tunnel edge while {@code tunnel-down} exists, RFC 9211 {@code Cache-Status}
 * of a stale copy while {@code origin-down} exists; the same headers that tunnel-service and proxy-service tests check
 * they send). Requests received are appended to {@code requests.log}.
 */
public final class Targets {

    public final Path root;
    private HttpServer http;
    private HttpsServer https;
    private ServerSocket tcp;

    public Targets(Path root) {
        this.root = root;
    }

    public int httpPort() {
        return http.getAddress().getPort();
    }

    public int httpsPort() {
        return https.getAddress().getPort();
    }

    public int tcpPort() {
        return tcp.getLocalPort();
    }

    public Targets start() throws Exception {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", this::handle);
        http.start();
        tcp = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread accept = new Thread(() -> {
            while (!tcp.isClosed()) {
                try {
                    tcp.accept().close();
                } catch (IOException e) {
                    return;
                }
            }
        });
        accept.setDaemon(true);
        accept.start();
        https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(sslContext()));
        https.createContext("/", this::handle);
        https.start();
        return this;
    }

    public void stop() {
        http.stop(0);
        https.stop(0);
        try {
            tcp.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    public List<String> requests() throws IOException {
        synchronized (Targets.class) {
            Path log = root.resolve("requests.log");
            return Files.exists(log) ? Files.readAllLines(log) : List.of();
        }
    }

    public void flag(String name, boolean on) throws IOException {
        if (on) {
            Files.writeString(root.resolve(name), "");
        } else {
            Files.deleteIfExists(root.resolve(name));
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        String path = exchange.getRequestURI().getPath();
        if (!path.equals("/health")) {
            synchronized (Targets.class) {
                String ntfy = path.equals("/ntfy") ? " title=" + exchange.getRequestHeaders().getFirst("Title") + " priority="
                        + exchange.getRequestHeaders().getFirst("Priority") + " tags=" + exchange.getRequestHeaders().getFirst("Tags")
                        + " type=" + exchange.getRequestHeaders().getFirst("Content-Type")
                        : path.startsWith("/gotify/") ? " key=" + exchange.getRequestHeaders().getFirst("X-Gotify-Key") : "";
                Files.writeString(root.resolve("requests.log"), exchange.getRequestMethod() + " " + path + " auth="
                        + exchange.getRequestHeaders().getFirst("Authorization") + ntfy + " " + new String(body, StandardCharsets.UTF_8)
                                .replace('\n', ' ') + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }
        int status;
        String answer;
        if (path.equals("/edge")) {
            if (Files.exists(root.resolve("tunnel-down"))) {
                status = 521;
                answer = "<h1>521 Tunnel not connected</h1>";
                exchange.getResponseHeaders().add("Proxy-Status", "edgestack-edge; error=destination_unavailable");
            } else if (Files.exists(root.resolve("origin-down"))) {
                status = 200;
                answer = "<h1>Welcome</h1> (kept copy)";
                exchange.getResponseHeaders().add("Cache-Status",
                        "edgestack; fwd=stale; fwd-status=502; ttl=-40; detail=origin-unreachable");
                exchange.getResponseHeaders().add("X-Cache", "STALE");
            } else {
                status = 200;
                answer = "<h1>Welcome</h1>";
                exchange.getResponseHeaders().add("Cache-Status", "edgestack; hit; ttl=60");
            }
        } else if (path.equals("/health")) {
            boolean down = Files.exists(root.resolve("site-down"));
            status = down ? 500 : 200;
            answer = down ? "<h1>Internal Server Error</h1>" : "{\"status\": \"ok\", \"site\": \"Welcome\"}";
        } else if (path.equals("/hook") || path.equals("/slack") || path.equals("/ntfy") || path.equals("/discord")
                || path.startsWith("/telegram/bot") && path.endsWith("/sendMessage") || path.equals("/gotify/message")
                || path.equals("/pushover/1/messages.json") || path.startsWith("/matrix/_matrix/client/v3/rooms/")
                || path.equals("/pagerduty/v2/enqueue")) {
            boolean down = Files.exists(root.resolve("receiver-down"));
            status = down ? 503 : 200;
            answer = down ? "receiver unavailable" : "ok";
        } else if (path.equals("/api/incidents")) {
            status = 200;
            answer = "{\"action\":\"rolled-back\",\"reason\":\"incident within 300 s of deployment #4\","
                    + "\"rollback\":{\"id\":5,\"release\":\"20261124T100000.000Z-aaaaaaa\","
                    + "\"previousRelease\":\"20261124T110000.000Z-bbbbbbb\",\"kind\":\"rollback\"}}";
        } else if (path.equals("/tunneled")) {
            if (Files.exists(root.resolve("tunneled-down"))) {
                status = 502; // as the edge answers when the tunnel has no connector
                answer = "<h1>502 Bad Gateway</h1>";
            } else {
                status = 200;
                answer = "<h1>Welcome</h1>";
            }
        } else if (path.equals("/shop")) {
            status = 200;
            answer = "shop";
        } else {
            status = 404;
            answer = "not found";
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", answer.startsWith("{") ? "application/json" : "text/html");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** A self-signed certificate valid for 5 days, made with the JDK's keytool. */
    private SSLContext sslContext() throws Exception {
        Path store = root.resolve("tls.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process process = new ProcessBuilder(keytool, "-genkeypair", "-alias", "site", "-keyalg", "EC", "-validity", "5",
                "-dname", "CN=soon.example.test", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass",
                "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException("keytool: " + output);
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, "changeit".toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(factory.getKeyManagers(), null, null);
        return context;
    }
}
