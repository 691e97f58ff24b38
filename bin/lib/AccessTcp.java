import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * bin/edgestack access tcp|ssh: the visitor's end of a TCP service behind a tunnel (a connector ingress rule with a
 * {@code tcp://} or {@code ssh://} service), as {@code cloudflared access tcp} and {@code cloudflared access ssh}: each
 * local connection (or standard input and output, for ssh's ProxyCommand) becomes a WebSocket to the edge whose binary
 * messages carry the bytes both ways.
 *
 * <pre>
 *   access tcp --hostname db.example.com --url 127.0.0.1:5433 [--edge https://edge:443] [--token-file F] [--ca F]
 *   access ssh --hostname ssh.example.com            (in ~/.ssh/config: ProxyCommand bin/edgestack access ssh --hostname %h)
 * </pre>
 *
 * The token (the rule's access token) comes from --token-file or EDGESTACK_ACCESS_TOKEN and is never printed.
 */
public class AccessTcp {

    private static final int PIECE = 32 * 1024;

    private final URI edge;
    private final String hostname;
    private final String token;
    private final HttpClient client;

    AccessTcp(URI edge, String hostname, String token, SSLContext tls) {
        this.edge = edge;
        this.hostname = hostname;
        this.token = token;
        ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "access-tcp");
            thread.setDaemon(true);
            return thread;
        });
        HttpClient.Builder builder = HttpClient.newBuilder().executor(executor).connectTimeout(Duration.ofSeconds(10));
        if (tls != null) {
            builder.sslContext(tls);
        }
        this.client = builder.build();
    }

    public static void main(String[] args) throws Exception {
        // the edge is asked for the service's host name even when dialled by another address (--edge)
        System.setProperty("jdk.httpclient.allowRestrictedHeaders", "host");
        if (args.length == 0 || !(args[0].equals("tcp") || args[0].equals("ssh"))) {
            usage("the first word is tcp or ssh");
        }
        String hostname = null, url = null, edgeUrl = null, tokenFile = null, ca = null;
        for (int i = 1; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--hostname" -> hostname = value;
                case "--url" -> url = value;
                case "--edge" -> edgeUrl = value;
                case "--token-file" -> tokenFile = value;
                case "--ca" -> ca = value;
                default -> usage("unknown option " + args[i]);
            }
            if (value == null) {
                usage(args[i] + " needs a value");
            }
            i++;
        }
        if (hostname == null || !hostname.matches("[A-Za-z0-9.-]+(:[0-9]{1,5})?")) {
            usage("--hostname names the service's host name, as its ingress rule does (example: --hostname db.example.com)");
        }
        if (args[0].equals("ssh") && url != null) {
            usage("access ssh speaks on standard input and output (ProxyCommand); use access tcp --url to listen on a port");
        }
        URI edge;
        try {
            edge = URI.create(edgeUrl != null ? edgeUrl : "https://" + hostname);
        } catch (IllegalArgumentException e) {
            edge = null;
        }
        if (edge == null || edge.getHost() == null || !("http".equals(edge.getScheme()) || "https".equals(edge.getScheme()))) {
            usage("--edge is the edge's public address, http://host:port or https://host:port, not '" + edgeUrl + "'");
        }
        String token = System.getenv("EDGESTACK_ACCESS_TOKEN");
        if (tokenFile != null) {
            try {
                token = Files.readString(Path.of(tokenFile), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                usage("--token-file " + tokenFile + " cannot be read: " + e.getMessage());
            }
        }
        AccessTcp access = new AccessTcp(edge, hostname, token == null || token.isBlank() ? null : token,
                ca == null ? null : trusting(Path.of(ca)));
        if (url == null) {
            try {
                access.carry(System.in, System.out, () -> { });
            } catch (IOException e) {
                System.err.println("access: " + e.getMessage());
                System.exit(1);
            }
            System.exit(0);
        }
        access.listen(url);
    }

    private static void usage(String problem) {
        System.err.println("access: " + problem + "\n"
                + "usage: bin/edgestack access tcp --hostname H --url 127.0.0.1:PORT [--edge URL] [--token-file F] [--ca PEM]\n"
                + "       bin/edgestack access ssh --hostname H [--edge URL] [--token-file F] [--ca PEM]   (stdin/stdout)");
        System.exit(2);
    }

    /** Accepts local connections on {@code url} (host:port) and carries each through its own WebSocket. */
    void listen(String url) throws IOException {
        int colon = url.lastIndexOf(':');
        int port = -1;
        try {
            port = colon < 0 ? -1 : Integer.parseInt(url.substring(colon + 1));
        } catch (NumberFormatException e) {
            // reported below
        }
        if (port < 0 || port > 65535) {
            usage("--url is the local address to listen on, host:port (example: 127.0.0.1:5433), not '" + url + "'");
        }
        String host = colon <= 0 ? "127.0.0.1" : url.substring(0, colon).replace("[", "").replace("]", "");
        try (ServerSocket server = new ServerSocket(port, 50, InetAddress.getByName(host))) {
            System.err.printf("access: listening on %s:%d; each connection goes to %s through %s%n", host, server.getLocalPort(),
                    hostname, edge);
            while (true) {
                Socket local = server.accept();
                local.setTcpNoDelay(true);
                Thread thread = new Thread(() -> {
                    try {
                        carry(local.getInputStream(), local.getOutputStream(), () -> close(local));
                    } catch (Exception e) {
                        System.err.println("access: " + e.getMessage());
                        close(local);
                    }
                }, "access-" + local.getPort());
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    /** Carries {@code in} to the service and its bytes to {@code out} through one WebSocket, until either side ends. */
    void carry(InputStream in, OutputStream out, Runnable closeLocal) throws Exception {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        WebSocket.Builder builder = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (!hostname.equalsIgnoreCase(edge.getHost() + (edge.getPort() > 0 ? ":" + edge.getPort() : ""))
                && !hostname.equalsIgnoreCase(edge.getHost())) {
            builder.header("Host", hostname);
        }
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        URI ws = URI.create(("https".equals(edge.getScheme()) ? "wss" : "ws") + "://" + edge.getRawAuthority() + "/");
        WebSocket socket;
        try {
            socket = builder.buildAsync(ws, new WebSocket.Listener() {
                @Override
                public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                    try {
                        byte[] bytes = new byte[data.remaining()];
                        data.get(bytes);
                        out.write(bytes);
                        out.flush();
                        webSocket.request(1); // the next message once this one is written: backpressure to the edge
                    } catch (IOException e) {
                        webSocket.abort();
                        closed.complete(null);
                    }
                    return null;
                }

                @Override
                public CompletionStage<?> onClose(WebSocket webSocket, int status, String reason) {
                    closed.complete(null);
                    return null;
                }

                @Override
                public void onError(WebSocket webSocket, Throwable error) {
                    closed.complete(null);
                }
            }).get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            closeLocal.run();
            throw new IOException(refusal(e.getCause()));
        }
        Thread reader = new Thread(() -> {
            byte[] buffer = new byte[PIECE];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    socket.sendBinary(ByteBuffer.wrap(buffer.clone(), 0, n), true).join(); // one piece in flight at a time
                }
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "").join();
            } catch (IOException | RuntimeException e) {
                socket.abort();
            }
            closed.complete(null);
        }, "access-send");
        reader.setDaemon(true);
        reader.start();
        closed.join();
        socket.abort();
        closeLocal.run();
    }

    /** What the edge or connector said when it refused the WebSocket, status and first line of its text. */
    private String refusal(Throwable error) {
        if (error instanceof WebSocketHandshakeException refused) {
            Object body = refused.getResponse().body();
            String text = body instanceof String s ? s : body instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : "";
            text = text.strip();
            int newline = text.indexOf('\n');
            return hostname + " through " + edge + ": refused with HTTP " + refused.getResponse().statusCode()
                    + (text.isEmpty() ? "" : ": " + (newline > 0 ? text.substring(0, newline) : text));
        }
        return hostname + " through " + edge + ": " + error;
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (Certificate certificate : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(pem)))) {
            store.setCertificateEntry("ca-" + i++, certificate);
        }
        if (i == 0) {
            usage("--ca " + pem + " holds no PEM certificate");
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
