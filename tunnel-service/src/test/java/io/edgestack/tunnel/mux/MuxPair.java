package io.edgestack.tunnel.mux;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.edgestack.tunnel.protocol.Heads;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;

/** An edge and a connector {@link Mux} over a real WebSocket on loopback, for the mux's own tests. */
final class MuxPair {

    final CompletableFuture<String> edgeClosed = new CompletableFuture<>();
    final CompletableFuture<String> connectorClosed = new CompletableFuture<>();
    private final Vertx vertx;

    MuxPair(Vertx vertx) {
        this.vertx = vertx;
    }

    /** Connects an edge Mux to a connector Mux whose streams {@code serve} handles; returns the edge's. */
    Mux connect(Mux.Settings settings, Consumer<MuxStream> serve) throws Exception {
        HttpServer server = vertx.createHttpServer().requestHandler(request -> request.toWebSocket().onSuccess(ws -> new Mux(vertx, ws,
                Mux.Side.CONNECTOR, settings, new Mux.Listener() {
                    @Override
                    public void opened(MuxStream stream, Heads.RequestHead head, boolean fin, boolean upgrade) {
                        serve.accept(stream);
                    }

                    @Override
                    public void closed(String reason) {
                        connectorClosed.complete(reason);
                    }
                }, MuxObserver.NONE, "connector")));
        int port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)
                .actualPort();
        WebSocketClient client = vertx.createWebSocketClient();
        CompletableFuture<Mux> edge = new CompletableFuture<>();
        client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/"))
                .onSuccess(ws -> {
                    try {
                        edge.complete(new Mux(vertx, ws, Mux.Side.EDGE, settings, new Mux.Listener() {
                            @Override
                            public void closed(String reason) {
                                edgeClosed.complete(reason);
                            }
                        }, MuxObserver.NONE, "edge"));
                    } catch (RuntimeException e) {
                        edge.completeExceptionally(e);
                    }
                })
                .onFailure(edge::completeExceptionally);
        return edge.get(10, TimeUnit.SECONDS);
    }
}
