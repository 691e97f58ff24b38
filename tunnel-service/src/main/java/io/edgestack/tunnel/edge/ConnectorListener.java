package io.edgestack.tunnel.edge;

import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.tunnel.config.TunnelConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/**
 * The edge's connector listener: the port connectors dial out to (7844 by default). It is bound at start in edge
 * mode; a failure to bind stops the service, because an edge that no connector can reach is useless.
 */
@ApplicationScoped
public class ConnectorListener {

    static final String CONNECT_PATH = "/v1/connect";
    private static final Logger LOG = Logger.getLogger(ConnectorListener.class);

    private final TunnelConfig config;
    private final Vertx vertx;
    private final AtomicReference<HttpServer> server = new AtomicReference<>();

    public ConnectorListener(TunnelConfig config, Vertx vertx) {
        this.config = config;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        if (config.mode() != TunnelConfig.Mode.EDGE) {
            return;
        }
        TunnelConfig.Edge edge = config.edge();
        HttpServerOptions options = new HttpServerOptions()
                .setHost(edge.connectorHost())
                .setPort(edge.connectorPort())
                .setMaxInitialLineLength(1024)
                .setMaxHeaderSize(8192);
        HttpServer bound = vertx.createHttpServer(options)
                .requestHandler(this::handle)
                .listen()
                .toCompletionStage().toCompletableFuture().join();
        server.set(bound);
        LOG.infof("Connector listener on %s:%d", edge.connectorHost(), bound.actualPort());
    }

    void stop(@Observes ShutdownEvent event) {
        HttpServer bound = server.getAndSet(null);
        if (bound != null) {
            bound.close();
        }
    }

    /** The port actually bound, or -1 when the listener is not running. */
    public int boundPort() {
        HttpServer bound = server.get();
        return bound == null ? -1 : bound.actualPort();
    }

    private void handle(HttpServerRequest request) {
        boolean connectPath = CONNECT_PATH.equals(request.path());
        int status = connectPath ? 426 : 404;
        String detail = connectPath
                ? "Connectors open a WebSocket session on " + CONNECT_PATH + "."
                : "This port takes tunnel connector sessions only; visitors use the edge's public port.";
        JsonObject problem = new JsonObject()
                .put("type", "about:blank")
                .put("title", connectPath ? "Upgrade Required" : "Not Found")
                .put("status", status)
                .put("detail", detail);
        request.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/problem+json")
                .end(problem.encode());
    }
}
