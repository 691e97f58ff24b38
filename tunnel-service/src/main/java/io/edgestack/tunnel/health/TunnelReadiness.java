package io.edgestack.tunnel.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.edgestack.tunnel.config.TunnelConfig;
import io.edgestack.tunnel.connector.EdgeReachability;
import io.edgestack.tunnel.edge.ConnectorListener;

/**
 * Edge: ready when its connector listener is bound. Connector: ready when at least one edge address answers.
 */
@Readiness
@ApplicationScoped
public class TunnelReadiness implements HealthCheck {

    private final TunnelConfig config;
    private final ConnectorListener listener;
    private final EdgeReachability edges;

    public TunnelReadiness(TunnelConfig config, ConnectorListener listener, EdgeReachability edges) {
        this.config = config;
        this.listener = listener;
        this.edges = edges;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("tunnel")
                .withData("mode", config.mode().name().toLowerCase());
        if (config.mode() == TunnelConfig.Mode.EDGE) {
            int port = listener.boundPort();
            return builder.status(port > 0).withData("connector-listener", port > 0 ? "port " + port : "not bound").build();
        }
        edges.state().forEach(builder::withData);
        return builder.status(edges.anyReachable()).build();
    }
}
