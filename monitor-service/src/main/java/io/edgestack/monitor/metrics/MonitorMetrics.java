package io.edgestack.monitor.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import io.edgestack.monitor.check.CheckResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Metrics in the blackbox_exporter style, the check name as a bounded label (checks come from configuration):
 * {@code edgestack_monitor_check_success}, {@code _duration_seconds}, {@code _http_status}, {@code _cert_expiry_days},
 * {@code _stale}, plus {@code edgestack_monitor_incidents_open}, {@code edgestack_monitor_alerts_total{channel,result}} and
 * {@code edgestack_monitor_schedule_drift_seconds} (how late runs start: quantiles 0.5 and 0.99, and buckets).
 */
@ApplicationScoped
public class MonitorMetrics {

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

    private final io.micrometer.core.instrument.Timer drift;

    public MonitorMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.drift = io.micrometer.core.instrument.Timer.builder("edgestack.monitor.schedule.drift")
                .description("How late scheduled check runs start against their schedule")
                .publishPercentiles(0.5, 0.99).serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(100),
                        Duration.ofMillis(250), Duration.ofSeconds(1), Duration.ofSeconds(5))
                .register(registry);
    }

    public void result(CheckResult result) {
        gauge("edgestack.monitor.check.success", "1 when the last run of the check succeeded", result.check())
                .set(result.ok() ? 1 : 0);
        gauge("edgestack.monitor.check.duration.seconds", "How long the last run took",
                result.check()).set(result.latencyMs());
        gauge("edgestack.monitor.check.stale", "1 when the last answer was the cache's stale copy because the origin failed",
                result.check()).set(CheckResult.STALE.equals(result.cause()) ? 1 : 0);
        if (result.status() > 0) {
            gauge("edgestack.monitor.check.http.status", "HTTP status of the last run", result.check()).set(result.status());
        }
        if (result.certDaysLeft() != null) {
            gauge("edgestack.monitor.check.cert.expiry.days", "Days until the peer certificate expires", result.check())
                    .set(result.certDaysLeft());
        }
    }

    /** How late a scheduled run started against its schedule (negative values, a timer firing early, count as 0). */
    public void drift(long lateMs) {
        drift.record(Math.max(0, lateMs), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    public void incidentsOpen(Supplier<Number> open) {
        Gauge.builder("edgestack.monitor.incidents.open", open).description("Incidents open now").register(registry);
    }

    /** {@code result}: sent, failed (will be retried), suppressed (maintenance). */
    public void alert(String channel, String result) {
        Counter.builder("edgestack.monitor.alerts").description("Alert deliveries by result").tag("channel", channel)
                .tag("result", result).register(registry).increment();
    }

    public void forget(String check) {
        values.keySet().removeIf(key -> key.endsWith("|" + check));
        registry.getMeters().stream().filter(m -> check.equals(m.getId().getTag("check"))).toList().forEach(registry::remove);
    }

    private AtomicLong gauge(String name, String description, String check) {
        return values.computeIfAbsent(name + "|" + check, key -> {
            AtomicLong value = new AtomicLong();
            boolean seconds = name.endsWith(".seconds");
            Gauge.builder(name, value, v -> seconds ? v.get() / 1000.0 : v.get()).description(description).tag("check", check)
                    .register(registry);
            return value;
        });
    }
}
