package io.edgestack.deploy.purge;

import java.net.URI;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;

import io.edgestack.deploy.config.DeployConfig;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;

/**
 * Purges proxy-service's cache through its admin API: retried with backoff, bounded in time, and behind a circuit
 * breaker so that a proxy that is down does not hold every deploy for the whole retry budget.
 */
@ApplicationScoped
public class ProxyClient {

    private final ProxyAdminApi api;
    private final String authorization;

    public ProxyClient(DeployConfig config) {
        this.api = QuarkusRestClientBuilder.newBuilder().baseUri(URI.create(config.proxy().adminUrl()))
                .connectTimeout(2, TimeUnit.SECONDS).readTimeout(5, TimeUnit.SECONDS).build(ProxyAdminApi.class);
        this.authorization = config.proxy().adminToken().filter(t -> !t.isBlank()).map(t -> "Bearer " + t).orElse(null);
    }

    /** False when no admin token is configured: purges are then skipped, and recorded so. */
    public boolean configured() {
        return authorization != null;
    }

    /** Purges these URLs (every variant of each); returns the number of cache entries removed. */
    @Retry(maxRetries = 3, delay = 200, jitter = 100, maxDuration = 10, durationUnit = ChronoUnit.SECONDS)
    @Timeout(value = 3, unit = ChronoUnit.SECONDS)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 10, delayUnit = ChronoUnit.SECONDS)
    public int purgeUrls(List<String> urls) {
        return api.purge(authorization, new ProxyAdminApi.PurgeRequest(null, urls)).purged();
    }

    /** Purges the whole cache. */
    @Retry(maxRetries = 3, delay = 200, jitter = 100, maxDuration = 10, durationUnit = ChronoUnit.SECONDS)
    @Timeout(value = 3, unit = ChronoUnit.SECONDS)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 10, delayUnit = ChronoUnit.SECONDS)
    public int purgeEverything() {
        return api.purge(authorization, new ProxyAdminApi.PurgeRequest(true, null)).purged();
    }
}
