package io.edgestack.tunnel.edge;

import java.time.Duration;
import java.util.Optional;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.edgestack.cluster.PublicHttpServers;
import io.edgestack.tunnel.config.TunnelConfig;
import io.edgestack.tunnel.metrics.TunnelMetrics;
import io.edgestack.tunnel.tls.AcmeHttpRoutes;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForProxy;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.quarkus.value.registry.ValueRegistry;
import io.quarkus.vertx.http.runtime.VertxHttpConfig;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/**
 * The edge's public HTTP port ({@code quarkus.http.port}, 8080 by default) on servers of its own
 * ({@link PublicHttpServers}; Quarkus' public server is off in tunnel-service). On them a visitor has
 * {@code edgestack.tunnel.edge.request-head-timeout} to send a request's head, as on the HTTPS listener: Quarkus' server
 * gave no hook to time it, and a client trickling a head a byte at a time held a connection to the internet-facing port
 * as long as it liked. A request line of an unknown version gets {@code 505} where Vert.x answered {@code HTTP/9.9 501}.
 * The router carries the ACME HTTP-01 answers and redirects ({@link AcmeHttpRoutes}) and the visitors' path
 * ({@link PublicIngress}); each request is counted in flight until its answer is over (a WebSocket's: until its socket
 * closes), for the drain on shutdown.
 */
@Singleton
@RegisterForProxy(targets = VertxHttpConfig.class)
public class EdgePublicServer {

    /** Routing-context key of what ends a request's count when its connection, upgraded to a raw socket, closes. */
    static final String CLOSED = "edgestack.edge.closed";

    private final Vertx vertx;
    private final TunnelConfig config;
    private final PublicIngress ingress;
    private final AcmeHttpRoutes acme;
    private final TunnelMetrics metrics;
    private final PublicHttpServers servers;

    public EdgePublicServer(Vertx vertx, TunnelConfig config, PublicIngress ingress, AcmeHttpRoutes acme, TunnelMetrics metrics,
            ValueRegistry values, TlsConfigurationRegistry tlsRegistry,
            @ConfigProperty(name = "quarkus.shutdown.timeout") Optional<Duration> shutdownTimeout) {
        this.vertx = vertx;
        this.config = config;
        this.ingress = ingress;
        this.acme = acme;
        this.metrics = metrics;
        this.servers = new PublicHttpServers(vertx, values, tlsRegistry, shutdownTimeout);
    }

    void start(@Observes StartupEvent event) throws Exception {
        if (config.mode() != TunnelConfig.Mode.EDGE) {
            return;
        }
        Router router = Router.router(vertx);
        router.route().order(Integer.MIN_VALUE).handler(context -> {
            servers.enter();
            boolean[] over = {false};
            Runnable leave = () -> {
                if (!over[0]) {
                    over[0] = true;
                    servers.leave();
                }
            };
            context.put(CLOSED, leave);
            context.addEndHandler(ended -> leave.run());
            context.next();
        });
        acme.install(router);
        ingress.install(router);
        servers.start(router, connection -> {
        }, config.edge().requestHeadTimeout().toMillis(), () -> metrics.headTimedOut("http"));
    }

    /** Drains: see {@link PublicHttpServers#stop}. */
    void stop(@Observes ShutdownEvent event) {
        if (config.mode() == TunnelConfig.Mode.EDGE) {
            servers.stop();
        }
    }
}
