package io.edgestack.tunnel.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.edgestack.tunnel.config.TunnelConfig;
import io.edgestack.tunnel.connector.Connector;
import io.edgestack.tunnel.connector.ConnectorService;
import io.edgestack.tunnel.edge.ConnectorListener;
import io.vertx.core.json.JsonObject;

/**
 * Edge: ready when its connector listener is bound. Connector: ready when the edge has registered at least one of its
 * connections; the data lists each connection's state.
 */
@Readiness
@ApplicationScoped
public class TunnelReadiness implements HealthCheck {

    private final TunnelConfig config;
    private final ConnectorListener listener;
    private final ConnectorService connectorService;

    public TunnelReadiness(TunnelConfig config, ConnectorListener listener, ConnectorService connectorService) {
        this.config = config;
        this.listener = listener;
        this.connectorService = connectorService;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("tunnel")
                .withData("mode", config.mode().name().toLowerCase());
        if (config.mode() == TunnelConfig.Mode.EDGE) {
            int port = listener.boundPort();
            return builder.status(port > 0).withData("connector-listener", port > 0 ? "port " + port : "not bound").build();
        }
        Connector connector = connectorService.connector();
        if (connector == null) {
            return builder.down().withData("connections", config.connector().tokenFile()
                    .map(file -> "waiting for the token file " + file).orElse("not started")).build();
        }
        builder.withData("tunnel", connector.tunnel()).withData("registered", connector.registered());
        for (JsonObject connection : connector.state()) {
            String state = connection.getString("state");
            if (connection.getString("lastError") != null && !"registered".equals(state)) {
                state += ": " + connection.getString("lastError");
            }
            builder.withData("connection-" + connection.getInteger("index"), state);
        }
        return builder.status(connector.registered() > 0).build();
    }
}
