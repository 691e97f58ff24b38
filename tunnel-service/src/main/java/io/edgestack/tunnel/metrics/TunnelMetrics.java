package io.edgestack.tunnel.metrics;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

import io.edgestack.tunnel.mux.MuxObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The tunnel's metrics, on both sides. Labels stay bounded: {@code tunnel} takes configured tunnel ids (edge) or the
 * one tunnel of the token (connector), {@code reason} a fixed word, {@code code} an HTTP status.
 */
public final class TunnelMetrics {

    private final MeterRegistry registry;
    private final Map<String, MuxObserver> observers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> activeStreams = new ConcurrentHashMap<>();
    /** By status code (100-599), made on first use; an array, not a map: a boxed status is a new object past 127. */
    private final AtomicReferenceArray<Counter> responses = new AtomicReferenceArray<>(600);

    public TunnelMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** {@code edgestack_tunnel_ha_connections{tunnel}}: registered connections of a tunnel. */
    public void haConnections(String tunnel, Supplier<Number> count) {
        Gauge.builder("edgestack.tunnel.ha.connections", count).tag("tunnel", tunnel)
                .description("Registered tunnel connections").register(registry);
    }

    /** When the certificate served for {@code host} expires (seconds since the epoch; absent while it has none). */
    public void certificateExpiry(String host, Supplier<Number> notAfterSeconds) {
        Gauge.builder("edgestack.tunnel.certificate.expiry.timestamp", notAfterSeconds).tag("host", host)
                .baseUnit("seconds").description("When the edge's certificate for the host expires").register(registry);
    }

    /** An ACME order's outcome: {@code issued}, {@code renewed} or {@code failed}; failures also by error kind. */
    public void acmeOrder(String result, String errorKind) {
        Counter.builder("edgestack.tunnel.acme.orders").tag("result", result)
                .description("ACME orders by result").register(registry).increment();
        if (errorKind != null) {
            Counter.builder("edgestack.tunnel.acme.errors").tag("kind", errorKind)
                    .description("ACME failures by error kind (ACME problem type, connection, storage ...)")
                    .register(registry).increment();
        }
    }

    /** A visitor's connection closed because its request head did not come in time. */
    /** A visitor's connection closed for a request head that did not come in time; {@code listener}: http or https. */
    public void headTimedOut(String listener) {
        Counter.builder("edgestack.tunnel.edge.request.head.timeouts")
                .description("Visitors' connections closed because a request's head did not come in time")
                .tag("listener", listener).register(registry).increment();
    }

    public void reconnect(String tunnel) {
        Counter.builder("edgestack.tunnel.reconnects").tag("tunnel", tunnel)
                .description("Connection attempts after the first, per tunnel").register(registry).increment();
    }

    public void connectFailure(String reason) {
        Counter.builder("edgestack.tunnel.connect.failures").tag("reason", reason)
                .description("Failed connection attempts to the edge, by reason").register(registry).increment();
    }

    public void authRejected(String reason) {
        Counter.builder("edgestack.tunnel.auth.rejected").tag("reason", reason)
                .description("Connector sessions refused by the edge, by reason").register(registry).increment();
    }

    /** Counted on every visitor request: the counter of each status is looked up once, then kept. */
    public void edgeResponse(int status) {
        int code = status >= 100 && status < 600 ? status : 0;
        Counter counter = responses.get(code);
        if (counter == null) {
            counter = Counter.builder("edgestack.tunnel.edge.responses")
                    .tag("code", code == 0 ? "other" : Integer.toString(code))
                    .description("Answers of the edge to visitors, by status")
                    .register(registry); // two threads racing here get the same counter from the registry
            responses.set(code, counter);
        }
        counter.increment();
    }

    public void streamReset(String reason) {
        Counter.builder("edgestack.tunnel.stream.resets").tag("reason", reason)
                .description("Streams that ended with a reset, by reason").register(registry).increment();
    }

    /** Observer for the connections of one tunnel: heartbeat round trips, bytes each way, active streams. */
    public MuxObserver observer(String tunnel) {
        return observers.computeIfAbsent(tunnel, this::newObserver);
    }

    private MuxObserver newObserver(String tunnel) {
        AtomicInteger active = activeStreams.computeIfAbsent(tunnel, t -> new AtomicInteger());
        Gauge.builder("edgestack.tunnel.streams.active", active, AtomicInteger::get).tag("tunnel", tunnel)
                .description("Streams in flight").register(registry);
        Timer rtt = Timer.builder("edgestack.tunnel.heartbeat.rtt").tag("tunnel", tunnel)
                .description("Heartbeat round-trip time").serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5),
                        Duration.ofMillis(25), Duration.ofMillis(100), Duration.ofMillis(500))
                .register(registry);
        Counter received = Counter.builder("edgestack.tunnel.bytes").tag("tunnel", tunnel).tag("direction", "received")
                .description("Bytes carried over tunnel connections, frames included").baseUnit("bytes").register(registry);
        Counter sent = Counter.builder("edgestack.tunnel.bytes").tag("tunnel", tunnel).tag("direction", "sent")
                .description("Bytes carried over tunnel connections, frames included").baseUnit("bytes").register(registry);
        return new MuxObserver() {
            @Override
            public void heartbeatRoundTrip(long nanos) {
                rtt.record(Duration.ofNanos(nanos));
            }

            @Override
            public void bytesReceived(long bytes) {
                received.increment(bytes);
            }

            @Override
            public void bytesSent(long bytes) {
                sent.increment(bytes);
            }

            @Override
            public void streamOpened() {
                active.incrementAndGet();
            }

            @Override
            public void streamClosed() {
                active.decrementAndGet();
            }
        };
    }
}
