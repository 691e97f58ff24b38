package io.edgestack.monitor.deploy;

import java.net.URI;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;

import io.edgestack.monitor.config.MonitorConfig;
import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;

/**
 * Tells deploy-service about an incident on a site; deploy-service rolls the site back when a deploy made it live
 * within its window, and answers what it did. Retried, bounded in time, behind a circuit breaker.
 */
@ApplicationScoped
public class DeployClient {

    private final DeployApi api;
    private final String authorization;

    public DeployClient(MonitorConfig config) {
        String url = config.deploy().url();
        this.api = "none".equals(url) ? null : QuarkusRestClientBuilder.newBuilder().baseUri(URI.create(url))
                .connectTimeout(2, TimeUnit.SECONDS).readTimeout(5, TimeUnit.SECONDS).build(DeployApi.class);
        this.authorization = config.deploy().token().filter(t -> !t.isBlank()).map(t -> "Bearer " + t).orElse(null);
    }

    public boolean configured() {
        return api != null && authorization != null;
    }

    /** What deploy-service did: "rolled-back" with the releases, or "none" with the reason. */
    @Retry(maxRetries = 3, delay = 300, jitter = 100)
    @Timeout(value = 6, unit = ChronoUnit.SECONDS)
    @CircuitBreaker(requestVolumeThreshold = 4, failureRatio = 0.75, delay = 30, delayUnit = ChronoUnit.SECONDS)
    public DeployApi.Decision incident(String site, String summary, Instant openedAt) {
        return api.incident(authorization, new DeployApi.IncidentReport(site, summary, openedAt.toString()));
    }

    /** Whether deploy-service has the site in maintenance (one try: what a monitor asks at its start). */
    @Timeout(value = 6, unit = ChronoUnit.SECONDS)
    public DeployApi.SiteMaintenance maintenance(String site) {
        return api.maintenance(authorization, site);
    }
}
