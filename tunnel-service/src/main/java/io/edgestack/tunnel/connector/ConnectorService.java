package io.edgestack.tunnel.connector;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.cluster.TlsWarmup;
import io.edgestack.tunnel.config.TunnelConfig;
import io.edgestack.tunnel.metrics.TunnelMetrics;
import io.edgestack.tunnel.mux.Mux;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/** Connector mode: builds the {@link Connector} from configuration at start (refusing a bad one) and drains it at stop. */
@ApplicationScoped
public class ConnectorService {

    private static final Logger LOG = Logger.getLogger(ConnectorService.class);

    private final TunnelConfig config;
    private final Vertx vertx;
    private final TunnelMetrics metrics;
    private volatile Connector connector;
    private volatile boolean stopped;

    public ConnectorService(TunnelConfig config, Vertx vertx, TunnelMetrics metrics) {
        this.config = config;
        this.vertx = vertx;
        this.metrics = metrics;
    }

    void start(@Observes StartupEvent event) {
        if (config.mode() != TunnelConfig.Mode.CONNECTOR) {
            return;
        }
        TunnelConfig.Connector c = config.connector();
        Ingress ingress = Ingress.from(c);
        settings(c, ""); // every other key is checked now, before a token file may exist
        TlsWarmup.run(vertx); // here, not on the event loop of the first dial (the link is TLS whenever the token pins a CA)
        Optional<Path> file = c.tokenFile();
        if (file.isEmpty()) {
            launch(settings(c, inlineToken(c)), ingress);
            return;
        }
        if (c.token().filter(t -> !t.isBlank()).isPresent()) {
            throw new IllegalArgumentException("edgestack.tunnel.connector.token and token-file are both set: keep one");
        }
        LOG.infof("Reading the tunnel token from %s (waiting for it while it does not exist)", file.get());
        String token = readToken(file.get());
        if (!token.isEmpty()) {
            launch(settings(c, token), ingress);
        } else {
            waitForTokenFile(file.get(), c, ingress);
        }
    }

    /**
     * Builds and starts the connector on the calling thread, which is never an event loop: building it loads the
     * WebSocket client's classes (a few hundred milliseconds on a busy CPU at start, which an event loop may not spend).
     */
    private void launch(Connector.Settings settings, Ingress ingress) {
        Connector built = new Connector(vertx, settings, ingress, metrics);
        built.start();
        connector = built;
        if (stopped) {
            built.stop(); // the service stopped while this was being built on a worker
        }
    }

    /** Tries the file every second, on a worker thread, until it holds a token (the edge writes it at its start). */
    private void waitForTokenFile(Path file, TunnelConfig.Connector c, Ingress ingress) {
        vertx.setTimer(1000, id -> vertx.executeBlocking(() -> {
            String token = readToken(file);
            if (!token.isEmpty() && !stopped) {
                launch(settings(c, token), ingress);
            } else if (!stopped) {
                waitForTokenFile(file, c, ingress);
            }
            return null;
        }, false).onFailure(e -> LOG.errorf("The connector cannot start with the token of %s: %s", file, e.getMessage())));
    }

    /** The token in {@code file}, or "" while it does not exist or is empty. */
    private static String readToken(Path file) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "";
        }
    }

    void stop(@Observes ShutdownEvent event) {
        stopped = true;
        Connector running = connector;
        if (running == null) {
            return;
        }
        try {
            running.stop().toCompletionStage().toCompletableFuture()
                    .get(config.connector().gracePeriod().toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            LOG.warnf("Connector did not stop cleanly: %s", e.getMessage());
        }
    }

    /** The running connector, or null outside connector mode. */
    public Connector connector() {
        return connector;
    }

    private static String inlineToken(TunnelConfig.Connector c) {
        return c.token().map(String::trim).filter(t -> !t.isEmpty()).orElseThrow(() -> new IllegalArgumentException(
                "edgestack.tunnel.connector.token is not set: give the token the edge issued for this tunnel in "
                        + "EDGESTACK_TUNNEL_CONNECTOR_TOKEN (bin/edgestack tunnel token <tunnel> prints one), or the "
                        + "file the edge writes it to in edgestack.tunnel.connector.token-file"));
    }

    /** Settings from configuration and the token; every problem names its key. */
    public static Connector.Settings settings(TunnelConfig.Connector c, String token) {
        if (c.haConnections() < 1 || c.haConnections() > 64) {
            throw new IllegalArgumentException("edgestack.tunnel.connector.ha-connections: " + c.haConnections()
                    + " is not 1 to 64");
        }
        List<EdgeAddress> edges = c.edgeAddresses().stream().map(EdgeAddress::parse).toList();
        Backoff backoff = new Backoff(c.reconnectInitial(), c.reconnectMax(), Math::random);
        String replica = c.replica().orElse(ManagementFactory.getRuntimeMXBean().getName());
        Mux.Settings mux = new Mux.Settings(c.heartbeatInterval(), c.heartbeatMisses(),
                Mux.Settings.defaults().maxStreams(), Mux.Settings.defaults().maxControlFramesPerSecond());
        return new Connector.Settings(edges, token, c.haConnections(), c.tls(), c.tlsCaFile(), backoff, c.stableAfter(), mux,
                replica, c.originConnectTimeout(), c.originTimeout(), c.gracePeriod());
    }
}
