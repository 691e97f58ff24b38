package io.edgestack.proxy.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.edgestack.proxy.site.SiteRegistry;
import io.edgestack.proxy.upstream.Upstream;
import io.edgestack.proxy.upstream.UpstreamPool;

/**
 * Not ready until every pool with active health checks has checked each of its upstreams once, so the first
 * visitor is never sent to an upstream that is known to be down. Reports each upstream's state.
 */
@Readiness
@ApplicationScoped
public class UpstreamsCheck implements HealthCheck {

    private final SiteRegistry registry;

    public UpstreamsCheck(SiteRegistry registry) {
        this.registry = registry;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("upstreams");
        boolean checked = true;
        for (UpstreamPool pool : registry.active().pools().values()) {
            checked &= pool.firstRound().isDone();
            for (Upstream upstream : pool.upstreams()) {
                builder.withData(pool.name() + " " + upstream.url(), !pool.firstRound().isDone() ? "not checked yet"
                        : upstream.available() ? "healthy" : upstream.activeHealthy() ? "benched (passive)" : "unhealthy");
            }
        }
        return builder.status(checked).build();
    }
}
