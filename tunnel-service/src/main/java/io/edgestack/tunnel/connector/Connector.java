package io.edgestack.tunnel.connector;

import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import javax.net.ssl.SSLException;

import org.jboss.logging.Logger;

import io.edgestack.cluster.ConnectionErrors;
import io.edgestack.tunnel.edge.ConnectorListener;
import io.edgestack.tunnel.metrics.TunnelMetrics;
import io.edgestack.tunnel.mux.EventLoops;
import io.edgestack.tunnel.mux.Mux;
import io.edgestack.tunnel.mux.MuxStream;
import io.edgestack.tunnel.protocol.Frame;
import io.edgestack.tunnel.protocol.Heads;
import io.edgestack.tunnel.tls.PinnedCaTrustManager;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;

/**
 * The connector: keeps {@code connections} WebSocket connections open to the edge (spread over the edge addresses),
 * each redialled for ever with exponential backoff and jitter when it drops or is refused, and forwards every stream
 * the edge opens to the local origin its ingress rules name.
 */
public final class Connector {

    public record Settings(List<EdgeAddress> edges, String token, int connections, boolean tls, Optional<String> caFile,
            Backoff backoff, Duration stableAfter, Mux.Settings mux, String replica, Duration originConnectTimeout,
            Duration originTimeout, Duration gracePeriod) {
    }

    private static final Logger LOG = Logger.getLogger(Connector.class);

    private final Vertx vertx;
    private final Settings settings;
    private final Ingress ingress;
    private final TunnelMetrics metrics;
    private final String tunnel;
    /** The tunnel CA fingerprint the token carries (then the link is TLS, pinned to it), or null. */
    private final String pin;
    private final boolean tls;
    private final WebSocketClient client;
    private final io.vertx.core.net.NetClient probes;
    private final List<Slot> slots = new ArrayList<>();
    private volatile boolean stopping;
    /** The WebSocket end of the TCP rules, started before the first connection when a rule names a TCP service. */
    private volatile TcpBridge bridge;

    public Connector(Vertx vertx, Settings settings, Ingress ingress, TunnelMetrics metrics) {
        this.vertx = vertx;
        this.settings = settings;
        this.ingress = ingress;
        this.metrics = metrics;
        this.tunnel = tunnelOf(settings.token());
        this.pin = claim(settings.token(), "caf");
        this.tls = settings.tls() || pin != null;
        WebSocketClientOptions options = new WebSocketClientOptions()
                .setMaxFrameSize(Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD)
                .setMaxMessageSize(Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD)
                .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, settings.mux().heartbeatInterval().toMillis() * 2))
                .setTcpNoDelay(true)
                // Masking guards HTTP intermediaries against scripts in browsers; a connector is no browser and its
                // connection goes straight to the edge, so frames go unmasked (one pass over every byte less).
                .setSendUnmaskedFrames(true)
                .setSsl(tls);
        if (pin != null) {
            // The token pins the edge's own tunnel CA: only a chain ending in it is accepted, whatever the name.
            options.setTrustOptions(io.vertx.core.net.TrustOptions.wrap(new PinnedCaTrustManager(pin))).setVerifyHost(false);
        } else {
            settings.caFile().ifPresent(ca -> options.setTrustOptions(new PemTrustOptions().addCertPath(ca)));
        }
        this.client = vertx.createWebSocketClient(options);
        this.probes = vertx.createNetClient(new io.vertx.core.net.NetClientOptions().setConnectTimeout(1000));
        for (int i = 0; i < settings.connections(); i++) {
            slots.add(new Slot(i, settings.edges().get(i % settings.edges().size())));
        }
        metrics.haConnections(tunnel, this::registered);
    }

    /** The tunnel id written in the token (read, not verified: only the edge can verify it). */
    public static String tunnelOf(String token) {
        String id = claim(token, "tid");
        return id == null || id.isBlank() ? "unknown" : id;
    }

    /** A claim of the token as written (not verified: only the edge can verify it), or null. */
    static String claim(String token, String name) {
        try {
            String[] parts = token.split("\\.");
            JsonObject claims = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
            return claims.getValue(name) instanceof String value ? value : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    public String tunnel() {
        return tunnel;
    }

    public void start() {
        LOG.infof("Connector for tunnel %s: %d connection(s) to %s, replica %s", tunnel, slots.size(), settings.edges(),
                settings.replica());
        if (!ingress.hasTcp()) {
            slots.forEach(Slot::connect);
            return;
        }
        TcpBridge.start(vertx, (int) settings.originConnectTimeout().toMillis()).onComplete(started -> {
            if (started.succeeded()) {
                bridge = started.result();
                LOG.infof("TCP services of the ingress rules are reached through loopback port %d", bridge.port());
            } else { // the HTTP rules still work; a TCP rule's visitors are told it is unavailable (400)
                LOG.errorf("The TCP services of the ingress rules are unavailable: no loopback port for their bridge: %s",
                        started.cause().getMessage());
            }
            slots.forEach(Slot::connect);
        });
    }

    /** Connections the edge has registered (HELLO received) and not lost since. */
    public int registered() {
        return (int) slots.stream().filter(s -> s.registered).count();
    }

    /** Each connection's state, for readiness and tests. */
    public List<JsonObject> state() {
        List<JsonObject> out = new ArrayList<>();
        for (Slot slot : slots) {
            Mux mux = slot.mux;
            out.add(new JsonObject()
                    .put("index", slot.index)
                    .put("edge", slot.edge.host() + ":" + slot.edge.port())
                    .put("state", slot.registered ? "registered" : mux != null ? "connecting" : "waiting")
                    .put("connection", mux == null ? null : mux.name())
                    .put("activeStreams", mux == null ? 0 : mux.activeStreams())
                    .put("attempt", slot.attempt)
                    .put("lastError", slot.lastError)
                    .put("retryDelaysMs", new ArrayList<>(slot.delays)));
        }
        return out;
    }

    /** The live connections (for tests that cut one). */
    public List<Mux> connections() {
        return slots.stream().map(s -> s.mux).filter(m -> m != null && !m.isClosed()).toList();
    }

    /**
     * Graceful stop: tells the edge to send nothing more on any connection, lets in-flight streams finish within the
     * grace period, then closes.
     */
    public Future<Void> stop() {
        stopping = true;
        Promise<Void> done = Promise.promise();
        for (Slot slot : slots) {
            if (slot.timer >= 0) {
                vertx.cancelTimer(slot.timer);
            }
            Mux mux = slot.mux;
            if (mux != null) {
                mux.goAway("connector shutting down");
            }
        }
        long deadline = System.nanoTime() + settings.gracePeriod().toNanos();
        vertx.setPeriodic(50, id -> {
            boolean idle = slots.stream().allMatch(s -> s.mux == null || s.mux.isClosed() || s.mux.activeStreams() == 0);
            if (idle || System.nanoTime() > deadline) {
                vertx.cancelTimer(id);
                for (Slot slot : slots) {
                    if (slot.mux != null) {
                        slot.mux.close(idle ? "connector stopped" : "connector stopped; grace period over");
                    }
                }
                client.close();
                probes.close();
                if (bridge != null) {
                    bridge.close();
                }
                slots.forEach(s -> s.origins.values().forEach(HttpClient::close));
                done.complete();
            }
        });
        return done.future();
    }

    private final class Slot {
        final int index;
        final EdgeAddress edge;
        /** A client for the origins of each TLS profile of the ingress rules (most have one: the default). */
        final java.util.Map<OriginTls, HttpClient> origins = new java.util.HashMap<>();
        final List<Long> delays = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile Mux mux;
        volatile boolean registered;
        volatile int attempt;
        volatile String lastError;
        volatile long timer = -1;
        long registeredAt;
        String lastLogged;

        /**
         * The slot's own event loop: its WebSocket, its origin connections and its timers all live there, so the
         * connections of one connector are spread over the loops (one loop carried all of them, and every byte, before).
         */
        private final Context context;

        Slot(int index, EdgeAddress edge) {
            this.index = index;
            this.edge = edge;
            this.context = EventLoops.context(vertx, index);
            for (OriginTls tls : ingress.tlsProfiles()) {
                origins.put(tls, vertx.httpClientBuilder().with(tls.apply(new HttpClientOptions()
                        .setConnectTimeout((int) settings.originConnectTimeout().toMillis())
                        .setKeepAlive(true).setTcpNoDelay(true)
                        // An answer head as large as one tunnel frame carries (Vert.x's default is 8 KiB: an app's
                        // large Content-Security-Policy or cookies made a 502); beyond it, a 502 naming the cause
                        .setMaxHeaderSize(Frame.MAX_PAYLOAD - 4 * 1024)
                        // Body pieces as large as a socket read gives them, up to one DATA frame (Netty's default cuts
                        // them at 8 KiB): a 1 MiB answer crosses as 16 frames instead of 128.
                        .setMaxChunkSize(Frame.MAX_PAYLOAD))).with(new PoolOptions().setHttp1MaxSize(64))
                        .withConnectHandler(connection -> {
                            OriginBodies.install(connection);
                            ConnectionErrors.report(connection, LOG, "Origin");
                        }).build());
            }
        }

        void connect() {
            if (Vertx.currentContext() != context) {
                context.runOnContext(v -> connect());
                return;
            }
            timer = -1;
            if (stopping) {
                return;
            }
            WebSocketConnectOptions options = new WebSocketConnectOptions()
                    .setHost(edge.host()).setPort(edge.port()).setURI("/v1/connect").setSsl(tls)
                    .addHeader("Authorization", "Bearer " + settings.token())
                    .addHeader(ConnectorListener.REPLICA_HEADER, settings.replica())
                    .addHeader(ConnectorListener.INDEX_HEADER, Integer.toString(index));
            client.connect(options).onComplete(result -> {
                if (result.failed()) {
                    Failure failure = describe(result.cause());
                    metrics.connectFailure(failure.code);
                    retry(failure.message, failure.code.equals("unreachable"));
                    return;
                }
                if (stopping) {
                    result.result().close();
                    return;
                }
                OriginForwarder forwarder = new OriginForwarder(vertx, origins, ingress, settings.originTimeout(), bridge);
                String name = tunnel + "#" + index + "->" + edge.host() + ":" + edge.port();
                mux = new Mux(vertx, result.result(), Mux.Side.CONNECTOR, settings.mux(), new Mux.Listener() {
                    @Override
                    public void opened(MuxStream stream, Heads.RequestHead head, boolean fin, boolean upgrade) {
                        forwarder.open(stream, head, fin, upgrade);
                    }

                    @Override
                    public void hello(JsonObject hello) {
                        registered = true;
                        registeredAt = System.nanoTime();
                        lastError = null;
                        lastLogged = null;
                        LOG.infof("Connection %d registered at edge %s:%d as %s", index, edge.host(), edge.port(),
                                hello.getString("connection"));
                    }

                    @Override
                    public void goingAway(String reason) {
                        LOG.infof("Edge %s:%d is going away on connection %d: %s", edge.host(), edge.port(), index, reason);
                    }

                    @Override
                    public void closed(String reason) {
                        boolean wasRegistered = registered;
                        registered = false;
                        mux = null;
                        if (wasRegistered && System.nanoTime() - registeredAt >= settings.stableAfter().toNanos()) {
                            attempt = 0; // it was stable: start the backoff over
                        }
                        retry("connection lost: " + reason, true);
                    }
                }, metrics.observer(tunnel), name);
            });
        }

        /**
         * Waits the next backoff delay, then dials again. When the edge was unreachable (or the connection dropped),
         * a TCP probe every {@link #PROBE_MILLIS} during a long wait dials at once when the edge's port opens again,
         * so a restarted edge gets its connectors back within a second instead of up to 30 s later; an edge that
         * answers and refuses (a bad token) is left alone for the whole delay.
         */
        void retry(String reason, boolean probe) {
            if (stopping) {
                return;
            }
            lastError = reason;
            Duration delay = settings.backoff().delay(attempt);
            attempt++;
            delays.add(delay.toMillis());
            if (delays.size() > 20) {
                delays.remove(0);
            }
            metrics.reconnect(tunnel);
            String message = String.format("Connection %d to edge %s:%d: %s; retrying in %.1f s (attempt %d)", index,
                    edge.host(), edge.port(), reason, delay.toMillis() / 1000.0, attempt);
            if (!reason.equals(lastLogged)) {
                LOG.warn(message);
                lastLogged = reason;
            } else {
                LOG.info(message);
            }
            timer = vertx.setTimer(Math.max(1, delay.toMillis()), id -> connect());
            if (probe && delay.toMillis() > PROBE_MILLIS * 2) {
                long waiting = timer;
                probeUntilOpen(waiting);
            }
        }

        private void probeUntilOpen(long waiting) {
            long jittered = PROBE_MILLIS / 2 + (long) (Math.random() * PROBE_MILLIS);
            vertx.setTimer(jittered, id -> {
                if (stopping || timer != waiting) {
                    return; // the wait is over (dialled, or stopping)
                }
                probes.connect(edge.port(), edge.host()).onComplete(result -> {
                    if (result.succeeded()) {
                        result.result().close();
                        if (timer == waiting && vertx.cancelTimer(waiting)) {
                            LOG.infof("Edge %s:%d accepts connections again; dialling connection %d now", edge.host(),
                                    edge.port(), index);
                            connect();
                        }
                    } else {
                        probeUntilOpen(waiting);
                    }
                });
            });
        }
    }

    /** Interval of the TCP probes while waiting to redial an unreachable edge. */
    static final long PROBE_MILLIS = 500;

    private record Failure(String code, String message) {
    }

    private static Failure describe(Throwable error) {
        if (error instanceof UpgradeRejectedException rejected) {
            String reason = rejected.getHeaders() == null ? null : rejected.getHeaders().get("X-Edgestack-Reason");
            String detail = null;
            try {
                if (rejected.getBody() != null && rejected.getBody().length() > 0) {
                    detail = rejected.getBody().toJsonObject().getString("detail");
                }
            } catch (RuntimeException notJson) {
                detail = null;
            }
            return new Failure(reason != null && reason.matches("[a-z-]{1,32}") ? reason : "http-" + rejected.getStatus(),
                    "refused by the edge (" + rejected.getStatus() + "): "
                            + (detail != null ? detail : "no WebSocket at this address"));
        }
        if (error instanceof ConnectException) {
            return new Failure("unreachable", "unreachable (" + error.getMessage() + ")");
        }
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.security.cert.CertificateException certificate) {
                return new Failure("tls", "TLS handshake failed (" + certificate.getMessage() + ")");
            }
        }
        if (error instanceof SSLException || error.getCause() instanceof SSLException) {
            Throwable tls = error instanceof SSLException ? error : error.getCause();
            return new Failure("tls", "TLS handshake failed (" + tls.getMessage() + ")");
        }
        return new Failure("error", error.getClass().getSimpleName() + ": " + error.getMessage());
    }

}
