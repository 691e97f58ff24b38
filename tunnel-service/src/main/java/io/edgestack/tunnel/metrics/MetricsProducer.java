package io.edgestack.tunnel.metrics;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

import io.micrometer.core.instrument.MeterRegistry;

class MetricsProducer {

    @Produces
    @ApplicationScoped
    TunnelMetrics tunnelMetrics(MeterRegistry registry) {
        return new TunnelMetrics(registry);
    }
}
