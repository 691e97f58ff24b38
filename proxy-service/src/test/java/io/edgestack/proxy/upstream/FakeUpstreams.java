package io.edgestack.proxy.upstream;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

/**
 * Two upstream applications on random loopback ports (a separate Vert.x instance, standing in for the user's apps),
 * and a sites file that routes to them.
 */
public class FakeUpstreams implements QuarkusTestResourceLifecycleManager {

    /** The text {@code /gzipped} answers, gzipped by the upstream itself. */
    static final String GZIPPED_TEXT = "compressed by the application itself\n".repeat(100);

    static final AtomicBoolean A_HEALTHY = new AtomicBoolean(true);
    static final AtomicInteger A_HITS = new AtomicInteger();
    static final AtomicInteger B_HITS = new AtomicInteger();
    static final AtomicInteger UPLOADS_RECEIVED = new AtomicInteger();
    /** Requests to /held being answered now, and the most there were at once. */
    static final AtomicInteger HELD = new AtomicInteger();
    static final AtomicInteger HELD_AT_ONCE = new AtomicInteger();
    /** The WebSockets of /ws-deaf, for the test to close (the proxy cannot read a visitor's close meanwhile). */
    static final java.util.List<io.vertx.core.http.ServerWebSocket> DEAF = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** 64 KiB messages of /ws-flood that left for the proxy. */
    static final AtomicInteger FLOOD_WRITTEN = new AtomicInteger();
    /** The serving status the h2c server's gRPC health service gives (1 SERVING, 2 NOT_SERVING). */
    static final AtomicInteger GRPC_SERVING = new AtomicInteger(1);
    static int portA;
    static int portH2c;
    static int portB;
    static int closedPort;

    private Vertx vertx;

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        try {
            portA = server("a", A_HITS, A_HEALTHY);
            portB = server("b", B_HITS, new AtomicBoolean(true));
            try (ServerSocket socket = new ServerSocket(0)) {
                closedPort = socket.getLocalPort();
            }
            Path sites = Path.of("target/upstream-sites.yaml");
            Files.writeString(sites, """
                    default-site: example
                    sites:
                      - name: files
                        hosts: [files.test]
                        routes:
                          - {path: /, static: {browse: true}}
                          - {path: /plain/, static: {}}
                      - name: rewrites
                        hosts: [rewrites.test]
                        rewrite-origins: [http://127.0.0.1:%1$d]
                      - name: example
                        redirects:
                          - {from: /old-page, to: /one/plain}
                          - {from: /api/legacy/*, to: "/api/:splat", status: 308}
                          - {from: /elsewhere, to: "https://example.org/landing", status: 302}
                        routes:
                          - {path: /, static: {}}
                          - path: /api/
                            upstream:
                              targets: [http://127.0.0.1:%1$d, http://127.0.0.1:%2$d]
                              timeouts: {first-byte: 700ms}
                              passive: {failures: 0}
                              health: {path: /healthz, interval: 150ms, healthy-after: 1, unhealthy-after: 1}
                          - path: /one/
                            upstream:
                              targets: [http://127.0.0.1:%1$d]
                              strip-prefix: true
                              intercept-errors: false
                          - path: /stall/
                            upstream:
                              targets: [http://127.0.0.1:%1$d]
                              strip-prefix: true
                              timeouts: {first-byte: 500ms, idle: 800ms}
                          - path: /patient/
                            upstream:
                              targets: [http://127.0.0.1:%1$d]
                              strip-prefix: true
                              timeouts: {first-byte: 3s}
                          - path: /quick/
                            upstream:
                              targets: [http://127.0.0.1:%1$d]
                              strip-prefix: true
                              timeouts: {first-byte: 400ms, idle: 400ms}
                          - path: /hosted/
                            upstream:
                              targets: [http://127.0.0.1:%1$d]
                              strip-prefix: true
                              host-header: upstream
                              request-headers: {X-Env: staging, Cookie: null}
                              response-headers: {X-Upstream: null, X-Frame-Options: DENY, X-Served-By: edgestack}
                          - path: /named/
                            upstream:
                              targets: [http://127.0.0.1:%1$d]
                              strip-prefix: true
                              host-header: app.internal.test
                          - path: /vhost/
                            upstream:
                              targets: [http://127.0.0.1:%1$d]
                              strip-prefix: true
                              host-header: visitor
                          - path: /ping
                            respond: {body: "pong\\n"}
                          - path: /old-shop/
                            respond:
                              status: 410
                              body: "<h1>The shop has closed</h1>"
                              content-type: text/html; charset=utf-8
                              headers: {Cache-Control: "public, max-age=86400", X-Reason: closed}
                          - path: /ws
                            upstream: {targets: [http://127.0.0.1:%1$d]}
                          - path: /down/
                            upstream: {targets: [http://127.0.0.1:%3$d], retries: 0}
                          - path: /raw/
                            upstream: {targets: [http://127.0.0.1:%4$d]}
                          - path: /retry/
                            upstream:
                              targets: [http://127.0.0.1:%3$d, http://127.0.0.1:%2$d]
                              policy: header-hash
                              hash-header: X-Nothing
                              passive: {failures: 0}
                          - path: /grpc/
                            upstream: {targets: [h2c://127.0.0.1:%5$d]}
                          - path: /grpc-checked/
                            upstream:
                              targets: [h2c://127.0.0.1:%5$d]
                              health: {grpc-service: "", interval: 150ms, healthy-after: 1, unhealthy-after: 1}
                              passive: {failures: 0}
                    """.formatted(portA, portB, closedPort, raw(), h2c()));
            return Map.of("edgestack.proxy.sites-file", sites.toAbsolutePath().toString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * An upstream that writes its answers byte for byte, each closing its connection: {@code /raw/upper} chunked with
     * {@code Transfer-Encoding: Chunked} (codings are case-insensitive) and a {@code TE} header, {@code /raw/gzip-chunked}
     * in a transfer coding no proxy passes on ({@code gzip, chunked}), {@code /raw/head-<KiB>} a header that large,
     * {@code /raw/two-lengths} two differing {@code Content-Length}s.
     */
    private int raw() throws Exception {
        io.vertx.core.net.NetServer server = vertx.createNetServer().connectHandler(socket -> {
            Buffer head = Buffer.buffer();
            socket.handler(data -> {
                head.appendBuffer(data);
                String text = head.toString();
                if (!text.contains("\r\n\r\n")) {
                    return;
                }
                if (text.startsWith("GET /raw/early-hints ")) { // 103, then the answer 300 ms later
                    socket.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n");
                    vertx.setTimer(300, id -> socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                            + "Content-Length: 5\r\nConnection: close\r\n\r\nhints").onComplete(done -> socket.close()));
                    return;
                }
                if (text.startsWith("GET /raw/head-")) { // /raw/head-<KiB>: a header of that many KiB
                    int kib = Integer.parseInt(text.substring("GET /raw/head-".length(), text.indexOf(' ', 5)));
                    socket.write("HTTP/1.1 200 OK\r\nX-Large: " + "v".repeat(kib * 1024) + "\r\nContent-Length: 2\r\n"
                            + "Connection: close\r\n\r\nok").onComplete(done -> socket.close());
                    return;
                }
                if (text.startsWith("GET /raw/two-lengths ")) {
                    socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok")
                            .onComplete(done -> socket.close());
                    return;
                }
                if (text.startsWith("GET /raw/trailers ")) { // chunked, with trailer fields after the last chunk
                    socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                            + "Trailer: X-Checksum\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: 5d41402a\r\n"
                            + "Content-Length: 99\r\n\r\n").onComplete(done -> socket.close());
                    return;
                }
                if (text.startsWith("GET /raw/close-delimited ")) { // HTTP/1.0's framing: the body ends with the connection
                    socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
                            + "a body that ends when its connection does").onComplete(done -> socket.close());
                    return;
                }
                String coding = text.startsWith("GET /raw/gzip-chunked ") ? "gzip, chunked" : "Chunked";
                socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: " + coding
                        + "\r\nTE: trailers\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
                        .onComplete(done -> socket.close());
            });
        });
        return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    /**
     * A server that speaks HTTP/2 in clear text only, as gRPC servers do: {@code /grpc/echo} answers the body it was
     * sent as {@code application/grpc}, with what it saw of the request in headers and {@code grpc-status} in the
     * trailers; {@code /grpc/missing} is a trailers-only answer ({@code grpc-status: 12}, no body), as gRPC's errors are.
     * An HTTP/1.1 request gets a 505.
     */
    private int h2c() throws Exception {
        HttpServer server = vertx.createHttpServer(new io.vertx.core.http.HttpServerOptions().setHttp2ClearTextEnabled(true))
                .requestHandler(request -> {
                    var response = request.response();
                    if (request.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
                        response.setStatusCode(505).end();
                        return;
                    }
                    if (request.path().equals("/grpc.health.v1.Health/Check")) { // the standard health service
                        request.body().onSuccess(body -> {
                            response.putHeader("content-type", "application/grpc").trailers().add("grpc-status", "0");
                            response.end(Buffer.buffer().appendByte((byte) 0).appendInt(2).appendByte((byte) 0x08)
                                    .appendByte((byte) GRPC_SERVING.get()));
                        });
                        return;
                    }
                    if (request.path().equals("/grpc/missing")) {
                        response.putHeader("content-type", "application/grpc").putHeader("grpc-status", "12")
                                .putHeader("grpc-message", "unknown method").end();
                        return;
                    }
                    request.body().onSuccess(body -> {
                        response.putHeader("content-type", "application/grpc")
                                .putHeader("x-seen-te", String.valueOf(request.getHeader("te")))
                                .putHeader("x-seen-version", request.version().name());
                        response.trailers().add("grpc-status", "0").add("grpc-message", "echoed")
                                .add("content-length", "99");
                        response.end(body);
                    });
                });
        portH2c = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
        return portH2c;
    }

    private int server(String name, AtomicInteger hits, AtomicBoolean healthy) throws Exception {
        HttpServer server = vertx.createHttpServer()
                .requestHandler(request -> {
                    String path = request.path();
                    var response = request.response();
                    if (path.equals("/healthz")) {
                        response.setStatusCode(healthy.get() ? 200 : 503).end();
                        return;
                    }
                    if (path.equals("/ws")) {
                        // Upgraded by hand: Quarkus turns off Vert.x's automatic WebSocket handling JVM-wide.
                        // "?" asks what the handshake carried: the forwarding headers and the request id
                        String seen = "for=" + request.getHeader("X-Forwarded-For") + " proto="
                                + request.getHeader("X-Forwarded-Proto") + " id=" + (request.getHeader("X-Request-Id") != null);
                        request.toWebSocket().onSuccess(ws -> {
                            ws.textMessageHandler(text -> ws.writeTextMessage("?".equals(text) ? seen : text));
                            ws.binaryMessageHandler(ws::writeBinaryMessage);
                        });
                        return;
                    }
                    if (path.equals("/ws-flood")) { // sends 64 MiB at once, counting what leaves
                        request.toWebSocket().onSuccess(ws -> {
                            Buffer piece = Buffer.buffer(new byte[64 * 1024]);
                            for (int i = 0; i < 1024; i++) {
                                ws.writeBinaryMessage(piece).onSuccess(v -> FLOOD_WRITTEN.incrementAndGet());
                            }
                        });
                        return;
                    }
                    if (path.equals("/ws-deaf")) { // upgrades, then reads nothing: what is sent to it must wait
                        request.toWebSocket().onSuccess(ws -> {
                            ws.pause();
                            DEAF.add(ws);
                        });
                        return;
                    }
                    if (path.equals("/ws-greets")) { // speaks first, then echoes
                        request.toWebSocket().onSuccess(ws -> {
                            // the greeting first: a handler set first is handed what the visitor already sent at
                            // once, and its echo went out before the greeting (about one upgrade in 1,500)
                            ws.writeTextMessage("hello from the upstream");
                            ws.textMessageHandler(ws::writeTextMessage);
                        });
                        return;
                    }
                    hits.incrementAndGet();
                    response.putHeader("X-Upstream", name).putHeader("Server", "fake/1.0");
                    switch (path.replaceFirst("^/(api|one|retry)", "")) {
                        case "/echo" -> {
                            JsonObject headers = new JsonObject();
                            request.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
                            response.putHeader("Content-Type", "application/json")
                                    .end(new JsonObject().put("upstream", name).put("uri", request.uri())
                                            .put("headers", headers).encode());
                        }
                        case "/100k" -> { // the head first, then the body in pieces, as a file server sends them
                            response.putHeader("Content-Length", String.valueOf(100 * 1024)).writeHead();
                            for (int i = 0; i < 10; i++) {
                                vertx.runOnContext(v -> response.write(Buffer.buffer(new byte[10 * 1024])));
                            }
                            vertx.runOnContext(v -> response.end());
                        }
                        case "/gzipped" -> { // an application that compresses its own answers
                            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
                            try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(bytes)) {
                                gzip.write(GZIPPED_TEXT.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                            response.putHeader("Content-Type", "text/plain").putHeader("Content-Encoding", "gzip")
                                    .putHeader("Vary", "Accept-Encoding").end(Buffer.buffer(bytes.toByteArray()));
                        }
                        case "/dated" -> response.putHeader("Date", "Tue, 01 Dec 2026 14:13:59 GMT").end("dated");
                        case "/dated-chunked" -> response.putHeader("Date", "Tue, 01 Dec 2026 14:13:59 GMT")
                                .setChunked(true).end("dated");
                        case "/hop" -> response.putHeader("Connection", "keep-alive, X-Hop").putHeader("X-Hop", "1")
                                .putHeader("Keep-Alive", "timeout=5, max=100").putHeader("Proxy-Connection", "keep-alive")
                                .putHeader("Upgrade", "h2c").putHeader("X-End", "kept").end("hop");
                        case "/nothing" -> response.setStatusCode(204).end();
                        case "/reason" -> response.setStatusCode(203).setStatusMessage("Mirrored Elsewhere").end("r");
                        case "/slow" -> vertx.setTimer(1500, t -> response.end("late"));
                        case "/held" -> { // held 300 ms, counting how many are held at once
                            HELD_AT_ONCE.accumulateAndGet(HELD.incrementAndGet(), Math::max);
                            vertx.setTimer(300, t -> {
                                HELD.decrementAndGet();
                                response.end("held");
                            });
                        }
                        case "/missing" -> response.setStatusCode(404).end("app 404");
                        case "/gone.html" -> response.setStatusCode(404).end("app 404");
                        case "/own.html" -> response.putHeader("Cache-Control", "no-store").end("own rules");
                        case "/fail" -> response.setStatusCode(500).end("app 500");
                        case "/partial" -> {
                            response.putHeader("Content-Length", "100000").write(Buffer.buffer(new byte[1000]));
                            vertx.setTimer(100, t -> request.connection().close());
                        }
                        case "/stalls" -> // the status, a first kilobyte, then silence with the connection open
                                response.putHeader("Content-Length", "100000").write(Buffer.buffer(new byte[1000]));
                        case "/upload" -> {
                            AtomicInteger bytes = new AtomicInteger();
                            request.handler(b -> bytes.addAndGet(b.length()));
                            request.endHandler(v -> {
                                UPLOADS_RECEIVED.incrementAndGet();
                                response.end(String.valueOf(bytes.get()));
                            });
                        }
                        case "/pattern" -> { // size bytes of pattern(), in uneven pieces, chunked when asked
                            int size = Integer.parseInt(request.getParam("size"));
                            byte[] body = pattern(size);
                            if (request.getParam("type") != null) {
                                response.putHeader("Content-Type", request.getParam("type"));
                            }
                            if (request.getParam("chunked") != null) {
                                response.setChunked(true);
                            } else {
                                response.putHeader("Content-Length", String.valueOf(size));
                            }
                            for (int at = 0; at < size; at += 7_001) {
                                int from = at;
                                vertx.runOnContext(v -> response.write(Buffer.buffer(body).slice(from, Math.min(size, from + 7_001))));
                            }
                            vertx.runOnContext(v -> response.end());
                        }
                        case "/big" -> {
                            response.setChunked(true);
                            for (int i = 0; i < 64; i++) {
                                response.write(Buffer.buffer(new byte[16 * 1024]));
                            }
                            response.end();
                        }
                        default -> response.end(name + " " + request.uri());
                    }
                });
        return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).actualPort();
    }

    /** Bytes that differ from piece to piece and from place to place, so that a lost, repeated or moved piece shows. */
    static byte[] pattern(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + i / 251);
        }
        return bytes;
    }

    @Override
    public void stop() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // best effort
        }
    }

}
