package io.edgestack.tunnel.it;

import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;

/** A real HTTP origin on a loopback port for tunnel tests. */
public final class TestOrigin implements AutoCloseable {

    private final HttpServer server;

    public TestOrigin(Vertx vertx) throws Exception {
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .webSocketHandler(ws -> {
                    if (!ws.path().equals("/ws") && !ws.path().equals("/ws-greets")) {
                        ws.reject(404);
                        return;
                    }
                    ws.textMessageHandler(text -> ws.writeTextMessage("echo: " + text));
                    ws.binaryMessageHandler(ws::writeBinaryMessage);
                    if (ws.path().equals("/ws-greets")) {
                        // speaks first: its greeting leaves with the 101, often in the same TCP segment
                        ws.writeTextMessage("hello from the origin");
                    }
                })
                .requestHandler(request -> {
                    HttpServerResponse response = request.response();
                    switch (request.path()) {
                        case "/hello" -> response
                                .putHeader("X-Seen-Host", String.valueOf(request.getHeader("Host")))
                                .putHeader("X-Seen-Target", request.uri())
                                .putHeader("X-Seen-Forwarded-Host", String.valueOf(request.getHeader("X-Forwarded-Host")))
                                .putHeader("X-Seen-Forwarded-For", String.valueOf(request.getHeader("X-Forwarded-For")))
                                .putHeader("X-Seen-Forwarded-Proto", String.valueOf(request.getHeader("X-Forwarded-Proto")))
                                .putHeader("X-Seen-Request-Id", String.valueOf(request.getHeader("X-Request-Id")))
                                .putHeader("Content-Type", "text/plain")
                                .end("hello from the origin");
                        case "/echo" -> {
                            response.setChunked(true);
                            request.pipeTo(response);
                        }
                        case "/big" -> {
                            long size = Long.parseLong(request.getParam("size", "1048576"));
                            response.putHeader("Content-Length", Long.toString(size));
                            stream(response, size);
                        }
                        case "/trickle" -> {
                            response.setChunked(true);
                            int[] left = {Integer.parseInt(request.getParam("chunks", "20"))};
                            vertx.setPeriodic(100, id -> {
                                if (response.closed() || left[0]-- <= 0) {
                                    vertx.cancelTimer(id);
                                    if (!response.closed()) {
                                        response.end();
                                    }
                                    return;
                                }
                                response.write("tick\n");
                            });
                        }
                        case "/hints" -> response // 103 Early Hints, then the answer 200 ms later
                                .writeEarlyHints(io.vertx.core.MultiMap.caseInsensitiveMultiMap()
                                        .add("Link", "</style.css>; rel=preload; as=style"))
                                .onComplete(sent -> vertx.setTimer(200, id -> response.end("hinted")));
                        case "/trailers" -> { // chunked, with trailer fields, as a gRPC answer (and one it must not pass)
                            response.setChunked(true).putHeader("X-Seen-TE", String.valueOf(request.getHeader("TE")));
                            response.trailers().add("grpc-status", "0").add("X-Checksum", "5d41402a").add("Content-Length", "99");
                            response.write("hello").onComplete(written -> response.end());
                        }
                        case "/never" -> {
                            // no answer at all: the connector's origin timeout answers
                        }
                        default -> response.setStatusCode(404).end("not here");
                    }
                })
                .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static void stream(HttpServerResponse response, long left) {
        Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
        while (left > 0 && !response.writeQueueFull()) {
            int n = (int) Math.min(chunk.length(), left);
            response.write(n == chunk.length() ? chunk : chunk.slice(0, n));
            left -= n;
        }
        if (left == 0) {
            response.end();
            return;
        }
        long remaining = left;
        response.drainHandler(v -> stream(response, remaining));
    }

    public int port() {
        return server.actualPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
