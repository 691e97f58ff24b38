package io.edgestack.tunnel.metrics;

import jakarta.inject.Singleton;
import jakarta.enterprise.inject.Produces;

import io.micrometer.core.instrument.MeterRegistry;

class MetricsProducer {

    @Produces
    @Singleton
    TunnelMetrics tunnelMetrics(MeterRegistry registry) {
        return new TunnelMetrics(registry);
    }
}
