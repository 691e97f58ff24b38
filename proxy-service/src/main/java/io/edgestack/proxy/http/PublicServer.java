package io.edgestack.proxy.http;

import java.time.Duration;
import java.util.Optional;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.edgestack.cluster.PublicHttpServers;
import io.edgestack.proxy.config.ProxyConfig;
import io.edgestack.proxy.metrics.ProxyMetrics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForProxy;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.quarkus.value.registry.ValueRegistry;
import io.quarkus.vertx.http.runtime.VertxHttpConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;

/**
 * The public port: Vert.x HTTP servers of the proxy's own ({@link PublicHttpServers}) that hand each request straight to
 * {@link ProxyRouter}. Quarkus' own public server is off ({@code quarkus.http.host-enabled=false}): its layer in front
 * of a route (a duplicated context, request wrappers, a URI parse, the Vert.x Web router and its routing context) cost
 * about as much CPU per proxied 1 KiB answer as all of the proxy's own stages. Configured from the same
 * {@code quarkus.http.*} keys; a visitor's request head is timed ({@code edgestack.proxy.request-head-timeout}).
 */
@Singleton
@RegisterForProxy(targets = VertxHttpConfig.class)
public class PublicServer {

    private final ProxyRouter router;
    private final ProxyMetrics metrics;
    private final long headTimeoutMillis;
    private final PublicHttpServers servers;

    public PublicServer(Vertx vertx, ProxyRouter router, ProxyMetrics metrics, ValueRegistry values, TlsConfigurationRegistry tlsRegistry,
            @ConfigProperty(name = "quarkus.shutdown.timeout") Optional<Duration> shutdownTimeout, ProxyConfig config) {
        this.router = router;
        this.metrics = metrics;
        this.headTimeoutMillis = config.requestHeadTimeout().toMillis();
        this.servers = new PublicHttpServers(vertx, values, tlsRegistry, shutdownTimeout);
    }

    void start(@Observes StartupEvent event) throws Exception {
        servers.start(this::handle, this::opened, headTimeoutMillis, metrics::headTimedOut);
    }

    /** Each request counted in flight until its answer is done. */
    private void handle(HttpServerRequest request) {
        servers.enter();
        RequestEnd end = RequestEnd.on(request.response());
        end.add(servers::leave);
        router.handle(request, end);
    }

    /** A visitor's connection, counted until its channel closes (a WebSocket's too: see {@link RequestEnd#onClose}). */
    private void opened(HttpConnection connection) {
        metrics.opened(connection);
        RequestEnd.onClose(connection, () -> metrics.closed(connection));
    }

    /** Drains: see {@link PublicHttpServers#stop}. */
    void stop(@Observes ShutdownEvent event) {
        servers.stop();
    }
}
