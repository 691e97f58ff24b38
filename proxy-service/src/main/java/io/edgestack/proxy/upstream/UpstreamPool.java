package io.edgestack.proxy.upstream;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import org.jboss.logging.Logger;

import io.edgestack.cluster.GrpcHealth;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;

/**
 * The upstreams of one route, its load-balancing policy, and its active health checks.
 */
public final class UpstreamPool {

    private static final Logger LOG = Logger.getLogger(UpstreamPool.class);

    private final String name;
    private final PoolSpec spec;
    private final List<Upstream> upstreams;
    private final Selector selector;
    private final boolean h2c;
    private final CompletableFuture<Void> firstRound = new CompletableFuture<>();
    private final List<Long> timers = new ArrayList<>();

    public UpstreamPool(String name, PoolSpec spec) {
        this.name = name;
        this.spec = spec;
        this.selector = spec.selector();
        List<Upstream> list = new ArrayList<>();
        for (String target : spec.targets()) {
            URI uri = URI.create(target);
            boolean ssl = uri.getScheme().equalsIgnoreCase("https");
            int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
            list.add(new Upstream(target, uri.getHost(), port, ssl, new PassiveHealth(spec.passiveFailures(),
                    spec.passiveWindow().toMillis(), spec.passiveCooldown().toMillis(), System::currentTimeMillis)));
        }
        this.upstreams = List.copyOf(list);
        this.h2c = spec.h2c();
        if (spec.health() == null) {
            firstRound.complete(null);
        }
    }

    public String name() {
        return name;
    }

    public PoolSpec spec() {
        return spec;
    }

    /** {@link PoolSpec#h2c()}, read once: asked on every answer. */
    public boolean h2c() {
        return h2c;
    }

    public List<Upstream> upstreams() {
        return upstreams;
    }

    /** Completed once every upstream has had one active check (at once when there are no active checks). */
    public CompletableFuture<Void> firstRound() {
        return firstRound;
    }

    /** An available upstream not in {@code exclude}, chosen by the policy; null when there is none. */
    public Upstream pick(HttpServerRequest request, Set<Upstream> exclude) {
        List<Upstream> available = new ArrayList<>(upstreams.size());
        for (Upstream upstream : upstreams) {
            if (upstream.available() && !exclude.contains(upstream)) {
                available.add(upstream);
            }
        }
        return available.isEmpty() ? null : selector.select(available, request);
    }

    public void start(Vertx vertx, HttpClient client) {
        PoolSpec.HealthSpec health = spec.health();
        if (health == null) {
            return;
        }
        AtomicInteger pending = new AtomicInteger(upstreams.size());
        for (Upstream upstream : upstreams) {
            check(client, upstream, health, () -> {
                if (pending.decrementAndGet() == 0) {
                    firstRound.complete(null);
                }
            });
            timers.add(vertx.setPeriodic(health.interval().toMillis(), id -> check(client, upstream, health, () -> {
            })));
        }
    }

    public void stop(Vertx vertx) {
        timers.forEach(vertx::cancelTimer);
        timers.clear();
    }

    private void check(HttpClient client, Upstream upstream, PoolSpec.HealthSpec health, Runnable done) {
        if (health.grpcService() != null) {
            checkGrpc(client, upstream, health, done);
            return;
        }
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setHost(upstream.host())
                .setPort(upstream.port())
                .setSsl(upstream.ssl())
                .setURI(health.path())
                .setConnectTimeout(health.timeout().toMillis())
                .setIdleTimeout(health.timeout().toMillis())
                .putHeader("User-Agent", "edgestack-health-check");
        client.request(options)
                .compose(request -> request.send().compose(response -> response.body().map(body -> response)))
                .onComplete(result -> {
                    boolean ok = result.succeeded() && result.result().statusCode() == health.expectStatus();
                    boolean changed = upstream.recordCheck(ok, health.healthyAfter(), health.unhealthyAfter());
                    if (changed) {
                        String why = result.succeeded() ? "status " + statusOf(result.result()) : String.valueOf(result.cause());
                        LOG.warnf("Upstream %s of %s is now %s (%s)", upstream, name, ok ? "healthy" : "unhealthy", why);
                    }
                    done.run();
                });
    }

    /**
     * A health check of a gRPC server (an {@code h2c://} pool's, over its HTTP/2 client): the standard health service
     * asked about {@code grpc-service}, healthy when it answers SERVING, as Envoy's gRPC health checks.
     */
    private void checkGrpc(HttpClient client, Upstream upstream, PoolSpec.HealthSpec health, Runnable done) {
        RequestOptions options = GrpcHealth.options(upstream.host(), upstream.port(), health.timeout().toMillis(),
                "edgestack-health-check").setIdleTimeout(health.timeout().toMillis());
        client.request(options)
                .compose(request -> request.send(GrpcHealth.request(health.grpcService()))
                        .compose(response -> response.body().map(body -> GrpcHealth.verdict(response, body))))
                .onComplete(result -> {
                    boolean ok = result.succeeded() && result.result().serving();
                    if (upstream.recordCheck(ok, health.healthyAfter(), health.unhealthyAfter())) {
                        LOG.warnf("Upstream %s of %s is now %s (gRPC health: %s)", upstream, name, ok ? "healthy" : "unhealthy",
                                result.succeeded() ? result.result().said() : String.valueOf(result.cause()));
                    }
                    done.run();
                });
    }

    private static int statusOf(HttpClientResponse response) {
        return response.statusCode();
    }
}
