package io.edgestack.proxy.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Singleton;

import io.edgestack.proxy.upstream.Upstream;
import io.edgestack.proxy.upstream.UpstreamPool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpConnection;

/**
 * The proxy's request metrics. Every label has few values: site and route come from the sites file, upstream from
 * its targets, status is a class (2xx...), release is the site's live release.
 */
@Singleton
public class ProxyMetrics {

    /** The labels of one counted request. */
    public record Labels(String site, String route, String upstream, String status, String release) {
    }

    private record Meters(Counter requests, Timer duration, DistributionSummary bytesOut, DistributionSummary bytesIn) {
    }

    private static final Duration[] SLOS = {Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
            Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final MeterRegistry registry;
    private final Map<Labels, Meters> meters = new ConcurrentHashMap<>();
    private final Map<Upstream, Boolean> watched = new ConcurrentHashMap<>();
    private final Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();

    public ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("edgestack.proxy.connections.active", connections, Set::size)
                .description("Client connections open on the public port (HTTP/1.1 keep-alive and HTTP/2)")
                .register(registry);
    }

    /** Counts a client connection until {@link #closed} (once per connection, whatever the number of requests on it). */
    public void opened(HttpConnection connection) {
        connections.add(connection);
    }

    public void closed(HttpConnection connection) {
        connections.remove(connection);
    }

    public void record(Labels labels, long nanos, long bytesIn, long bytesOut) {
        Meters m = meters.computeIfAbsent(labels, this::create);
        m.requests().increment();
        m.duration().record(nanos, TimeUnit.NANOSECONDS);
        m.bytesOut().record(bytesOut);
        if (bytesIn > 0) {
            m.bytesIn().record(bytesIn);
        }
    }

    /** A connection closed because its request head did not come in time: {@code edgestack_proxy_request_head_timeouts_total}. */
    public void headTimedOut() {
        Counter.builder("edgestack.proxy.request.head.timeouts")
                .description("Connections closed because a request's head did not come in time (slow or stalled clients)")
                .register(registry).increment();
    }

    /** A request refused by a rate limit: {@code edgestack_proxy_rate_limited_total{site,route}}. */
    public void rateLimited(String site, String route) {
        Counter.builder("edgestack.proxy.rate.limited").description("Requests refused with 429 by a site's or route's rate limit")
                .tag("site", site).tag("route", route).register(registry).increment();
    }

    /** Registers health and in-flight gauges for the upstreams of a pool (once per upstream). */
    public void watch(UpstreamPool pool) {
        for (Upstream upstream : pool.upstreams()) {
            if (watched.putIfAbsent(upstream, Boolean.TRUE) == null) {
                Gauge.builder("edgestack.proxy.upstream.healthy", upstream, u -> u.available() ? 1 : 0)
                        .description("1 while the upstream takes traffic (active and passive health), else 0")
                        .tags("pool", pool.name(), "upstream", upstream.url())
                        .register(registry);
                Gauge.builder("edgestack.proxy.upstream.active.requests", upstream, Upstream::active)
                        .description("Requests in flight to the upstream")
                        .tags("pool", pool.name(), "upstream", upstream.url())
                        .register(registry);
            }
        }
    }

    public static String statusClass(int status) {
        return switch (status / 100) {
            case 1 -> "1xx";
            case 2 -> "2xx";
            case 3 -> "3xx";
            case 4 -> "4xx";
            default -> "5xx";
        };
    }

    private Meters create(Labels l) {
        String[] tags = {"site", l.site(), "route", l.route(), "upstream", l.upstream(), "status", l.status(),
                "release", l.release()};
        return new Meters(
                Counter.builder("edgestack.proxy.requests").description("Requests answered").tags(tags).register(registry),
                Timer.builder("edgestack.proxy.request.duration").description("Time to answer a request, to the last byte")
                        .serviceLevelObjectives(SLOS).tags(tags).register(registry),
                DistributionSummary.builder("edgestack.proxy.response.bytes").baseUnit("bytes")
                        .description("Bytes sent to clients").tags(tags).register(registry),
                DistributionSummary.builder("edgestack.proxy.request.bytes").baseUnit("bytes")
                        .description("Request body bytes received").tags(tags).register(registry));
    }
}
