package io.edgestack.cluster;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;

/**
 * {@code edgestack_cluster_members}, {@code edgestack_cluster_enabled} and {@code edgestack_cluster_join_seconds}, for
 * the suite's alert rules (monitoring/prometheus/rules/edgestack.yml).
 */
@Singleton
public class ClusterMetrics {

    void register(@Observes StartupEvent start, MeterRegistry registry, SuiteCluster cluster) {
        Gauge.builder("edgestack.cluster.members", cluster, SuiteCluster::members)
                .description("Members of the event bus cluster as this service sees them (0: clustering off or left)")
                .register(registry);
        Gauge.builder("edgestack.cluster.enabled", cluster, c -> c.settings().enabled() ? 1 : 0)
                .description("1 when this service is configured to join the event bus cluster").register(registry);
        Gauge.builder("edgestack.cluster.join", cluster, c -> c.joinMillis() < 0 ? Double.NaN : c.joinMillis() / 1000.0)
                .baseUnit("seconds").description("How long this service took to join the event bus cluster at start")
                .register(registry);
    }
}
