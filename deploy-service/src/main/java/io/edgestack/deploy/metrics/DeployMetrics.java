package io.edgestack.deploy.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * deploy-service's metrics: deployments by result, build and total durations, rollbacks by kind, the queue, deploy
 * locks and the deploys they refused, and the live release of each site as an info metric
 * ({@code edgestack_deploy_live_release_info{site,release} 1}).
 */
@ApplicationScoped
public class DeployMetrics {

    private final MeterRegistry registry;
    private final Map<String, Gauge> liveRelease = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> queued = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> locked = new ConcurrentHashMap<>();

    public DeployMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Removes the gauges this bean registered: a registry that outlives the application (tests restart it in one JVM)
     * would otherwise keep reading the values of the instance that registered them first.
     */
    @jakarta.annotation.PreDestroy
    void close() {
        for (String name : new String[] {"edgestack.deploy.queued", "edgestack.deploy.locked", "edgestack.deploy.live.release.info"}) {
            registry.find(name).meters().forEach(registry::remove);
        }
    }

    /** {@code result}: succeeded, failed, superseded. */
    public void deployment(String site, String result) {
        Counter.builder("edgestack.deploy.deployments").description("Deployments by result").tag("site", site)
                .tag("result", result).register(registry).increment();
    }

    public void build(String site, Duration duration) {
        timer("edgestack.deploy.build", "Time the build command took", site).record(duration);
    }

    /** From the start of a deployment to its end (fetch, build, check, switch, purge). */
    public void total(String site, Duration duration) {
        timer("edgestack.deploy.duration", "Time a deployment took, start to end", site).record(duration);
    }

    /** {@code kind}: manual or automatic. */
    public void rollback(String site, String kind) {
        Counter.builder("edgestack.deploy.rollbacks").description("Rollbacks by kind").tag("site", site).tag("kind", kind)
                .register(registry).increment();
    }

    public void queued(String site, int count) {
        queued.computeIfAbsent(site, s -> {
            AtomicInteger value = new AtomicInteger();
            Gauge.builder("edgestack.deploy.queued", value::get).description("Deployments waiting")
                    .tag("site", s).register(registry);
            return value;
        }).set(count);
    }

    /** Whether a site's deploys are locked (1) or not (0): {@code edgestack_deploy_locked{site}}. */
    public void locked(String site, boolean isLocked) {
        locked.computeIfAbsent(site, s -> {
            AtomicInteger value = new AtomicInteger();
            Gauge.builder("edgestack.deploy.locked", value::get)
                    .description("1 while the site's deploys are locked (refused with the lock's reason)").tag("site", s)
                    .register(registry);
            return value;
        }).set(isLocked ? 1 : 0);
    }

    /** A deploy refused, {@code edgestack_deploy_refused_total{site,reason}}; {@code reason}: locked. */
    public void refused(String site, String reason) {
        Counter.builder("edgestack.deploy.refused").description("Deploys refused before they were queued").tag("site", site)
                .tag("reason", reason).register(registry).increment();
    }

    public synchronized void live(String site, String release) {
        Gauge previous = liveRelease.remove(site);
        if (previous != null) {
            registry.remove(previous);
        }
        if (release != null) {
            liveRelease.put(site, Gauge.builder("edgestack.deploy.live.release.info", () -> 1).description("The live release")
                    .tag("site", site).tag("release", release).register(registry));
        }
    }

    private Timer timer(String name, String description, String site) {
        return Timer.builder(name).description(description).tag("site", site).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(30)).register(registry);
    }
}
