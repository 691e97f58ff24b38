package io.edgestack.proxy.upstream;

import java.time.Duration;
import java.util.List;

/**
 * An upstream pool as configured on a route.
 *
 * @param policy round-robin, least-connections, random-two, ip-hash or header-hash
 * @param hashHeader the header hashed by header-hash
 * @param retries extra attempts on another upstream when connecting fails (idempotent requests only)
 * @param health active checks, or null for none
 * @param interceptErrors answer upstream 404 and 5xx with the site's own pages for clients that want HTML
 */
public record PoolSpec(List<String> targets, String policy, String hashHeader, Duration connectTimeout,
        Duration firstByteTimeout, Duration idleTimeout, int retries, HealthSpec health, int passiveFailures,
        Duration passiveWindow, Duration passiveCooldown, boolean stripPrefix, boolean interceptErrors, HeaderRules headers) {

    public static final List<String> POLICIES = List.of("round-robin", "least-connections", "random-two", "ip-hash",
            "header-hash");

    /**
     * Active health checks.
     *
     * @param grpcService of an {@code h2c://} pool: the service the servers' standard gRPC health service
     *        ({@code grpc.health.v1.Health/Check}) is asked about ({@code ""}: the server as a whole), healthy when it
     *        answers SERVING; null: a {@code GET} of {@code path} expecting {@code expectStatus}
     */
    public record HealthSpec(String path, Duration interval, Duration timeout, int expectStatus, int healthyAfter,
            int unhealthyAfter, String grpcService) {
    }

    /**
     * Whether the pool's servers are spoken to in HTTP/2 with prior knowledge, in clear text ({@code h2c://} targets,
     * as Caddy's): gRPC servers and others that speak nothing else. A pool's targets are all h2c or none.
     */
    public boolean h2c() {
        return targets.get(0).regionMatches(true, 0, "h2c:", 0, 4);
    }

    public Selector selector() {
        return switch (policy) {
            case "least-connections" -> new LeastConnectionsSelector();
            case "random-two" -> new RandomTwoSelector();
            case "ip-hash" -> new HashSelector(null);
            case "header-hash" -> new HashSelector(hashHeader);
            default -> new RoundRobinSelector();
        };
    }
}
