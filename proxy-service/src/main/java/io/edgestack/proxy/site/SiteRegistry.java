package io.edgestack.proxy.site;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import io.edgestack.cluster.ConnectionErrors;
import io.edgestack.cluster.TlsWarmup;
import io.edgestack.proxy.config.ProxyConfig;
import io.edgestack.proxy.metrics.ProxyMetrics;
import io.edgestack.proxy.upstream.PoolSpec;
import io.edgestack.proxy.upstream.Upstream;
import io.edgestack.proxy.upstream.UpstreamBodies;
import io.edgestack.proxy.upstream.UpstreamPool;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;

/**
 * The sites in force and the upstream pools of their routes. Loaded at start: an invalid sites file stops the
 * service with the key and the problem.
 */
@Singleton
public class SiteRegistry {

    private static final Logger LOG = Logger.getLogger(SiteRegistry.class);

    /** What is served: sites and one pool per upstream route. */
    public record Active(Sites sites, Map<Route, UpstreamPool> pools) {
    }

    /** The largest answer head read from an upstream. */
    public static final int UPSTREAM_MAX_HEADER_SIZE = 64 * 1024;

    private final ProxyConfig config;
    private final Vertx vertx;
    private final AtomicReference<Active> current = new AtomicReference<>();
    private record ClientKey(long idleMillis, boolean h2c, Thread thread) {
    }

    private final Map<ClientKey, HttpClient> clients = new ConcurrentHashMap<>();
    private HttpClient upgradeClient;

    private final ProxyMetrics metrics;

    public SiteRegistry(ProxyConfig config, Vertx vertx, ProxyMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.vertx = vertx;
    }

    void load(@Observes StartupEvent event) {
        active();
    }

    void stop(@Observes ShutdownEvent event) {
        Active active = current.getAndSet(null);
        if (active != null) {
            active.pools().values().forEach(pool -> pool.stop(vertx));
        }
    }

    public Active active() {
        Active active = current.get();
        return active != null ? active : loadFirst();
    }

    private synchronized Active loadFirst() {
        Active active = current.get();
        if (active == null) {
            active = build();
            current.set(active);
        }
        return active;
    }

    /**
     * Reads the sites file again and switches to it. An invalid file throws {@link SiteConfigException} and the
     * sites in force keep serving.
     */
    public synchronized Active reload() {
        Active next = build();
        Active before = current.get();
        if (before != null) {
            keepRateLimits(before.sites(), next.sites());
        }
        Active previous = current.getAndSet(next);
        if (previous != null) {
            previous.pools().values().forEach(pool -> pool.stop(vertx));
        }
        return next;
    }

    /**
     * Hands each rate limit of {@code next} that is unchanged from {@code before} (same site, same route prefix, same
     * numbers) the clients {@code before} knows, before {@code next} serves.
     */
    static void keepRateLimits(Sites before, Sites next) {
        Map<String, Site> old = new java.util.HashMap<>();
        before.all().forEach(site -> old.put(site.name(), site));
        for (Site site : next.all()) {
            Site was = old.get(site.name());
            if (was == null) {
                continue;
            }
            site.rateLimit().carryOver(was.rateLimit());
            for (Route route : site.routes()) {
                if (route.rateLimit() == null) {
                    continue;
                }
                was.routes().stream().filter(r -> r.pathPrefix().equals(route.pathPrefix()) && r.rateLimit() != null)
                        .findFirst().ifPresent(r -> route.rateLimit().carryOver(r.rateLimit()));
            }
        }
    }

    private Active build() {
        Sites sites = config.sitesFile()
                .map(file -> SitesLoader.load(file, config.defaultSite()))
                .orElseGet(() -> SitesLoader.defaults(config.defaultSite()));
        Map<Route, UpstreamPool> pools = new IdentityHashMap<>();
        for (Site site : sites.all()) {
            for (Route route : site.routes()) {
                if (route.kind() == Route.Kind.UPSTREAM) {
                    pools.put(route, new UpstreamPool(site.name() + route.pathPrefix(), route.upstream()));
                }
            }
            site.rewriteOrigins().forEach((origin, route) ->
                    pools.put(route, new UpstreamPool(site.name() + " rewrites to " + origin, route.upstream())));
        }
        if (pools.values().stream().anyMatch(pool -> pool.upstreams().stream().anyMatch(Upstream::ssl))) {
            TlsWarmup.run(vertx); // before a health check or request to an HTTPS upstream first needs TLS, on an event loop
        }
        for (UpstreamPool pool : pools.values()) {
            pool.start(vertx, client(pool.spec()));
            metrics.watch(pool);
        }
        Active active = new Active(sites, pools);
        LOG.infof("Serving %d site(s): %s (default: %s), %d upstream pool(s)", sites.all().size(),
                String.join(", ", sites.all().stream().map(Site::name).toList()), sites.fallback().name(), pools.size());
        return active;
    }

    public Sites sites() {
        return active().sites();
    }

    public UpstreamPool pool(Route route) {
        return active().pools().get(route);
    }

    /**
     * The HTTP client for upstreams whose pools share one idle timeout and protocol: keep-alive connection pools per
     * upstream. The idle timeout is the connection's (no byte read or written for that long closes it, mid-response
     * included), so pools with different idle timeouts get different clients. Clients are kept for the life of the
     * service: a reload must not cut the exchanges in flight, and there are as many as there are distinct idle timeouts.
     * <p>
     * Each event-loop thread gets its own client: its connections then live on the loop that serves the requests
     * using them (no hand-off between threads per request), and a pool picks among few connections. A pool of
     * {@code h2c://} servers gets a client that speaks HTTP/2 to them from the first byte (prior knowledge, no upgrade),
     * its requests multiplexed over one connection per server.
     */
    public HttpClient client(PoolSpec pool) {
        long idle = pool.idleTimeout().toMillis();
        boolean h2c = pool.h2c();
        return clients.computeIfAbsent(new ClientKey(idle, h2c, Thread.currentThread()), key -> vertx.httpClientBuilder().with(new HttpClientOptions()
                .setKeepAlive(true)
                .setPipelining(false)
                .setProtocolVersion(h2c ? HttpVersion.HTTP_2 : HttpVersion.HTTP_1_1)
                .setHttp2ClearTextUpgrade(false)
                // Body pieces as large as a socket read gives them (Netty's default cuts them at 8 KiB): a 100 KiB
                // answer is then written to the visitor at once instead of in 13 writes.
                .setMaxChunkSize(UpstreamBodies.LARGEST_READ)
                // An answer's head up to 64 KiB, as Caddy takes far more (Vert.x' default of 8 KiB, nginx's
                // proxy_buffer_size, made a 502 of an app's large Content-Security-Policy or many Set-Cookie lines);
                // beyond it, a 502 with http_response_header_section_size
                .setMaxHeaderSize(UPSTREAM_MAX_HEADER_SIZE)
                .setDecompressionSupported(false)
                .setTryUseCompression(false)
                .setIdleTimeout((int) idle)
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS))
                // the pool's size is the builder's to set: without these it would be Vert.x' default of 5 connections
                .with(new PoolOptions().setHttp1MaxSize(256).setMaxWaitQueueSize(4096))
                .withConnectHandler(connection -> {
                    if (!h2c) { // answers' bodies go to the visitor from the connection's own read buffers
                        UpstreamBodies.install(connection);
                    }
                    ConnectionErrors.report(connection, LOG, "Upstream");
                }).build());
    }

    /**
     * The client for WebSocket upgrades: an upgraded connection leaves the pool for good, so upgrades get fresh
     * connections instead of keep-alive ones that served other requests.
     */
    public synchronized HttpClient upgradeClient() {
        if (upgradeClient == null) {
            upgradeClient = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setMaxPoolSize(1024));
        }
        return upgradeClient;
    }
}
