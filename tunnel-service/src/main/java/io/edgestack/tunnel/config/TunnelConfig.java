package io.edgestack.tunnel.config;

import java.time.Duration;
import java.util.List;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * tunnel-service configuration, under {@code edgestack.tunnel}. One binary, two roles chosen by {@link #mode()}.
 */
@ConfigMapping(prefix = "edgestack.tunnel")
public interface TunnelConfig {

    /** {@code edge} takes public traffic and connector sessions; {@code connector} dials an edge from behind NAT. */
    @WithDefault("edge")
    Mode mode();

    /** Settings used in edge mode. */
    Edge edge();

    /** Settings used in connector mode. */
    Connector connector();

    enum Mode {
        EDGE,
        CONNECTOR
    }

    interface Edge {
        /** Address the connector listener binds to. */
        @WithDefault("0.0.0.0")
        String connectorHost();

        /** Port connectors dial (the cloudflared default is 7844 too). */
        @WithDefault("7844")
        int connectorPort();
    }

    interface Connector {
        /** Edge connector listeners to dial, as {@code host:port}; connections are spread over them. */
        @WithDefault("127.0.0.1:7844")
        List<String> edgeAddresses();

        /** Local origin that requests are forwarded to (proxy-service by default). */
        @WithDefault("http://127.0.0.1:8081")
        String origin();

        /** Redundant connections kept open to the edge. */
        @WithDefault("4")
        int haConnections();

        /** How often the reachability of each edge address is checked. */
        @WithDefault("2s")
        Duration probeInterval();
    }
}
