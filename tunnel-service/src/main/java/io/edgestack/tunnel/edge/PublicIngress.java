package io.edgestack.tunnel.edge;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.edgestack.tunnel.config.TunnelConfig;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Visitor traffic on the edge's public port. A host is answered through a connector session of its tunnel;
 * while no connector session serves it, the answer is the seed's "tunnel down" page: status 521.
 */
@ApplicationScoped
public class PublicIngress {

    private final TunnelConfig config;
    private final EdgeErrorPages pages;

    public PublicIngress(TunnelConfig config, EdgeErrorPages pages) {
        this.config = config;
        this.pages = pages;
    }

    void routes(@Observes Router router) {
        if (config.mode() != TunnelConfig.Mode.EDGE) {
            return;
        }
        router.route().order(Integer.MAX_VALUE - 1).handler(this::noConnector);
    }

    private void noConnector(RoutingContext context) {
        pages.send(context, 521, "Tunnel not connected",
                "No connector is connected for this site, so the edge cannot reach its origin. "
                        + "Start the connector (bin/edgestack up) or check its logs.");
    }
}
