package io.edgestack.tunnel.edge;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import io.edgestack.cluster.TlsWarmup;
import io.edgestack.tunnel.auth.TokenFile;
import io.edgestack.tunnel.auth.TokenRejected;
import io.edgestack.tunnel.auth.TunnelTokens;
import io.edgestack.tunnel.config.HostPattern;
import io.edgestack.tunnel.config.TunnelConfig;
import io.edgestack.tunnel.metrics.TunnelMetrics;
import io.edgestack.tunnel.mux.EventLoops;
import io.edgestack.tunnel.mux.Mux;
import io.edgestack.tunnel.protocol.Frame;
import io.edgestack.tunnel.tls.PrivateCa;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * The edge's connector listener: the port connectors dial out to (7844 by default). A connector opens a WebSocket on
 * {@code /v1/connect} with its token as a bearer token; a valid token registers the connection for its tunnel, and
 * anything else is refused with a status and a reason the connector logs. It is bound at start in edge mode; a failure
 * to bind stops the service, because an edge that no connector can reach is useless.
 */
@ApplicationScoped
public class ConnectorListener {

    static final String CONNECT_PATH = "/v1/connect";
    public static final String REPLICA_HEADER = "X-Edgestack-Replica";
    public static final String INDEX_HEADER = "X-Edgestack-Connection";
    private static final Logger LOG = Logger.getLogger(ConnectorListener.class);

    private final TunnelConfig config;
    private final Vertx vertx;
    private final TunnelDirectory directory;
    private final TunnelMetrics metrics;
    private final TunnelTokens tokens;
    private final AtomicReference<List<HttpServer>> servers = new AtomicReference<>(List.of());
    private final AtomicInteger sequence = new AtomicInteger();
    /** Connections still in their handshake, with the timer that closes them when it takes too long. */
    private final Map<HttpConnection, Long> handshakes = new ConcurrentHashMap<>();
    private final String edgeName;
    private volatile boolean stopping;

    public ConnectorListener(TunnelConfig config, Vertx vertx, TunnelDirectory directory, TunnelMetrics metrics) {
        this.config = config;
        this.vertx = vertx;
        this.directory = directory;
        this.metrics = metrics;
        List<String> secrets = config.edge().tokenSecrets().orElse(List.of()).stream().filter(s -> !s.isBlank()).toList();
        for (String secret : secrets) {
            if (secret.length() < 32) {
                throw new IllegalArgumentException(
                        "edgestack.tunnel.edge.token-secrets: each secret needs at least 32 characters (one has "
                                + secret.length() + ")");
            }
        }
        this.tokens = new TunnelTokens(secrets, Clock.systemUTC());
        this.edgeName = ManagementFactory.getRuntimeMXBean().getName();
    }

    public TunnelTokens tokens() {
        return tokens;
    }

    /** The connector listener's certificate from this edge's own CA, whose fingerprint the tokens carry. */
    private void privateCa(TunnelConfig.Edge edge, HttpServerOptions options) {
        try {
            PrivateCa ca = PrivateCa.loadOrCreate(edge.privateCaDir());
            String host = edge.connectorHost();
            PrivateCa.Listener listener = ca.listener(host.equals("0.0.0.0") || host.equals("::")
                    ? List.of("localhost") : List.of(host));
            options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                    .setCertValue(io.vertx.core.buffer.Buffer.buffer(listener.chainPem()))
                    .setKeyValue(io.vertx.core.buffer.Buffer.buffer(listener.keyPem())));
            tokens.pinCa(ca.fingerprint());
            LOG.infof("Connector listener TLS from the tunnel CA in %s (fingerprint %s, carried in the tokens)",
                    edge.privateCaDir(), ca.fingerprint());
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("edgestack.tunnel.edge.private-ca-dir: " + e.getMessage(), e);
        }
    }

    /** Keeps each tunnel's {@code token-file} holding a token this edge accepts (start-up, before connectors dial). */
    private void writeTokenFiles(TunnelConfig.Edge edge) {
        edge.tunnels().forEach((id, tunnel) -> tunnel.tokenFile().ifPresent(file -> {
            String key = "edgestack.tunnel.edge.tunnels." + id + ".token-file";
            if (!tokens.canSign()) {
                throw new IllegalArgumentException(key + ": no token can be written without a token secret "
                        + "(EDGESTACK_TUNNEL_EDGE_TOKEN_SECRETS)");
            }
            List<String> hosts = directory.tunnels().get(id).hosts().stream().map(HostPattern::pattern).toList();
            try {
                TokenFile.Acceptance acceptance = claims -> {
                    directory.authorize(claims);
                    if (!java.util.Objects.equals(claims.caPin(), tokens.caPin())) {
                        throw new TokenRejected("ca-changed", 401, "token pins another CA than this edge's");
                    }
                };
                if (TokenFile.ensure(tokens, acceptance, id, hosts, edge.tokenTtl(), file, Clock.systemUTC())) {
                    LOG.infof("Wrote a new connector token of tunnel %s to %s", id, file);
                } else {
                    LOG.infof("The connector token of tunnel %s in %s is still valid", id, file);
                }
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(key + ": cannot write " + file + " (" + e + ")");
            }
        }));
    }

    void start(@Observes StartupEvent event) {
        if (config.mode() != TunnelConfig.Mode.EDGE) {
            return;
        }
        TunnelConfig.Edge edge = config.edge();
        if (!tokens.canSign()) {
            LOG.warn("No token secret is configured (EDGESTACK_TUNNEL_EDGE_TOKEN_SECRETS): every connector will be refused");
        }
        if (directory.tunnels().isEmpty()) {
            LOG.warn("No tunnel is configured (edgestack.tunnel.edge.tunnels.<id>.hosts): every visitor gets 404");
        }
        refuseSharedPort(edge.connectorPort());
        HttpServerOptions options = new HttpServerOptions()
                .setHost(edge.connectorHost())
                .setPort(edge.connectorPort())
                .setMaxInitialLineLength(1024)
                .setMaxHeaderSize(8192)
                .setMaxWebSocketFrameSize(Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD)
                .setMaxWebSocketMessageSize(Frame.HEADER_LENGTH + Frame.MAX_PAYLOAD)
                .setPerMessageWebSocketCompressionSupported(false)
                .setPerFrameWebSocketCompressionSupported(false)
                .setAcceptUnmaskedFrames(true) // connectors send unmasked frames (docs/tunnel-protocol.md)
                .setTcpNoDelay(true)
                // Silence closes a connection: a handshake that stalls (slow loris) after handshake-timeout, a
                // registered connection after its missed heartbeats (the tunnel protocol detects those first).
                .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS)
                .setIdleTimeout((int) Math.max(edge.handshakeTimeout().toMillis(),
                        edge.heartbeatInterval().toMillis() * (edge.heartbeatMisses() + 1)));
        if (edge.tlsCertFile().isPresent() != edge.tlsKeyFile().isPresent()) {
            throw new IllegalArgumentException("edgestack.tunnel.edge.tls-cert-file and tls-key-file go together");
        }
        edge.tlsCertFile().ifPresent(cert -> options.setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert).setKeyPath(edge.tlsKeyFile().get())));
        if (edge.tlsCertFile().isEmpty() && edge.privateCa()) {
            privateCa(edge, options);
        }
        writeTokenFiles(edge);
        if (options.isSsl() || edge.tls().enabled()) {
            TlsWarmup.run(vertx); // here, not on the event loop of the first handshake of a connector or a visitor
        }
        // One server per event loop on the same port (Vert.x hands accepted connections to them in turn): the
        // connections of a connector are then spread over the loops, and a visitor's request usually finds one on
        // its own loop (TunnelDirectory.pick), where its bytes need no hand-off between threads.
        // Port 0 (any free port) becomes -1: Vert.x' shared random port, the same one for every server listening on -1.
        if (options.getPort() == 0) {
            options.setPort(-1);
        }
        List<HttpServer> all = new ArrayList<>();
        for (int i = 0; i < EventLoops.count(vertx); i++) {
            all.add(listenOnLoop(options, i));
        }
        servers.set(List.copyOf(all));
        LOG.infof("Connector listener on %s:%d (%s), tunnels %s", edge.connectorHost(), boundPort(),
                options.isSsl() ? "TLS" : "plain WebSocket", directory.tunnels().keySet());
    }

    /**
     * The connector port may not be the public or the management port: Vert.x would not refuse it but share the port
     * between the two servers of one process, handing each connection to either of them in turn (a visitor would get
     * the listener's 404 every other time, a connector the public site).
     */
    private static void refuseSharedPort(int connectorPort) {
        if (connectorPort == 0 || LaunchMode.current() != LaunchMode.NORMAL) {
            return; // any free port; tests choose theirs at random
        }
        Config settings = ConfigProvider.getConfig();
        boolean management = settings.getOptionalValue("quarkus.management.enabled", Boolean.class).orElse(false);
        for (String key : management ? List.of("quarkus.http.port", "quarkus.management.port") : List.of("quarkus.http.port")) {
            if (settings.getOptionalValue(key, Integer.class).orElse(0) == connectorPort) {
                throw new IllegalArgumentException("edgestack.tunnel.edge.connector-port: " + connectorPort
                        + " is also " + key + "; the connector listener needs a port of its own");
            }
        }
    }

    /** One server of the listener, accepting on event loop {@code loop} (Vert.x copies the options it is given). */
    private HttpServer listenOnLoop(HttpServerOptions options, int loop) {
        long handshakeMillis = config.edge().handshakeTimeout().toMillis();
        Context context = EventLoops.context(vertx, loop);
        Promise<HttpServer> listening = Promise.promise();
        context.runOnContext(start -> vertx.createHttpServer(options)
                .connectionHandler(connection -> {
                    if (connection instanceof ConnectionBase base) {
                        // Reads of up to 256 KiB (Netty stops at 64 KiB): a 64 KiB frame then mostly arrives whole in
                        // one read, instead of being gathered from two or three into a copy.
                        base.channel().config().setRecvByteBufAllocator(
                                new AdaptiveRecvByteBufAllocator(512, 16 * 1024, 256 * 1024));
                    }
                    // A connection that has not become a registered tunnel connection in time is closed (slow loris).
                    long timer = vertx.setTimer(handshakeMillis, id -> {
                        handshakes.remove(connection);
                        LOG.debugf("Closing %s: no WebSocket handshake within %d ms", connection.remoteAddress(), handshakeMillis);
                        if (connection instanceof io.vertx.core.net.impl.ConnectionBase base) {
                            base.channel().close(); // at once, even in the middle of a request head
                        } else {
                            connection.close();
                        }
                    });
                    handshakes.put(connection, timer);
                    // A connection's own failures (a peer's reset, a malformed handshake) end it, and the tunnel
                    // connection on it says so at INFO when it closes; without a handler Vert.x logs each as an error.
                    connection.exceptionHandler(error -> LOG.debugf("Connector connection from %s failed: %s",
                            connection.remoteAddress(), error.getMessage()));
                    connection.closeHandler(v -> {
                        Long pending = handshakes.remove(connection);
                        if (pending != null) {
                            vertx.cancelTimer(pending);
                        }
                    });
                })
                .requestHandler(this::handle)
                .listen().onComplete(listening));
        return listening.future().toCompletionStage().toCompletableFuture().join();
    }

    /**
     * A frame that spans socket reads is gathered from the reads' buffers as they are (Netty's default merges each read
     * into one buffer: a copy of nearly every byte, as 64 KiB frames rarely line up with reads); the decoder copies the
     * payload out once either way.
     */
    private static void gatherWithoutCopying(HttpConnection connection) {
        if (connection instanceof ConnectionBase base) {
            for (var entry : base.channel().pipeline()) {
                if (entry.getValue() instanceof WebSocketFrameDecoder
                        && entry.getValue() instanceof ByteToMessageDecoder decoder) {
                    decoder.setCumulator(ByteToMessageDecoder.COMPOSITE_CUMULATOR);
                }
            }
        }
    }

    /** Shutdown: tell every connector to open nothing more here, then close once streams are done. */
    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        for (String tunnel : directory.tunnels().keySet()) {
            for (TunnelDirectory.Session session : directory.sessions(tunnel)) {
                session.mux().goAway("edge shutting down");
            }
        }
        for (HttpServer bound : servers.getAndSet(List.of())) {
            bound.close();
        }
    }

    /** The port actually bound, or -1 when the listener is not running. */
    public int boundPort() {
        List<HttpServer> bound = servers.get();
        return bound.isEmpty() ? -1 : bound.get(0).actualPort();
    }

    private void handle(HttpServerRequest request) {
        if (!CONNECT_PATH.equals(request.path())) {
            problem(request, 404, "Not Found", "This port takes tunnel connector sessions only; visitors use the edge's public port.",
                    null);
            return;
        }
        String upgrade = request.getHeader("Upgrade");
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            problem(request, 426, "Upgrade Required", "Connectors open a WebSocket session on " + CONNECT_PATH + ".", null);
            return;
        }
        String remote = String.valueOf(request.remoteAddress());
        if (stopping) {
            problem(request, 503, "Edge shutting down", "This edge is shutting down; connect to another one.", "shutting-down");
            return;
        }
        TunnelTokens.Claims claims;
        List<HostPattern> hosts;
        try {
            String header = request.getHeader("Authorization");
            String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
            claims = tokens.verify(token);
            hosts = directory.authorize(claims);
        } catch (TokenRejected rejected) {
            metrics.authRejected(rejected.code);
            LOG.warnf("Refused a connector from %s: %s (%s)", remote, rejected.getMessage(), rejected.code);
            problem(request, rejected.status, "Connector refused", rejected.getMessage(), rejected.code);
            return;
        }
        HttpConnection connection = request.connection();
        Long timer = handshakes.remove(connection);
        String replica = clean(request.getHeader(REPLICA_HEADER), remote);
        String index = clean(request.getHeader(INDEX_HEADER), "?");
        request.toWebSocket().onSuccess(ws -> {
            if (timer != null) {
                vertx.cancelTimer(timer);
            }
            gatherWithoutCopying(connection);
            String name = claims.tunnel() + "/" + replica + "#" + index + "/" + sequence.incrementAndGet();
            TunnelDirectory.Session[] holder = new TunnelDirectory.Session[1];
            Mux mux = new Mux(vertx, ws, Mux.Side.EDGE, settings(), new Mux.Listener() {
                @Override
                public void firstFrame() {
                    directory.add(holder[0]);
                    holder[0].mux().hello(new JsonObject().put("tunnel", claims.tunnel()).put("connection", name)
                            .put("edge", edgeName)
                            .put("hosts", new JsonArray(hosts.stream().map(HostPattern::pattern).toList()))
                            .put("heartbeatIntervalMs", config.edge().heartbeatInterval().toMillis())
                            .put(Mux.INFORMATIONAL, true).put(Mux.TRAILERS, true));
                    LOG.infof("Connector connection %s registered from %s; tunnel %s has %d connection(s)", name, remote,
                            claims.tunnel(), directory.sessions(claims.tunnel()).size());
                    publish(UP, holder[0], null);
                }

                @Override
                public void goingAway(String reason) {
                    LOG.infof("Connector connection %s going away: %s", name, reason);
                }

                @Override
                public void closed(String reason) {
                    boolean wasRegistered = directory.sessions(claims.tunnel()).contains(holder[0]);
                    directory.remove(holder[0]);
                    if (wasRegistered) {
                        publish(DOWN, holder[0], reason);
                    }
                    LOG.infof("Connector connection %s closed (%s); tunnel %s has %d connection(s)", name, reason,
                            claims.tunnel(), directory.sessions(claims.tunnel()).size());
                }
            }, metrics.observer(claims.tunnel()), name);
            holder[0] = new TunnelDirectory.Session(mux, claims.tunnel(), hosts, replica, index, remote, Instant.now(),
                    claims.id());
        }).onFailure(e -> LOG.debugf("WebSocket handshake with %s failed: %s", remote, e.getMessage()));
    }

    /** Event address: a connector connection was registered (see docs/tunnel-protocol.md, "Events"). */
    public static final String UP = "tunnel.connector.up";
    /** Event address: a registered connector connection is gone. */
    public static final String DOWN = "tunnel.connector.down";

    private void publish(String address, TunnelDirectory.Session session, String reason) {
        JsonObject event = new JsonObject()
                .put("version", 1)
                .put("tunnel", session.tunnel())
                .put("connection", session.mux().name())
                .put("replica", session.replica())
                .put("remote", session.remote())
                .put("connections", directory.sessions(session.tunnel()).size())
                .put("at", Instant.now().toString());
        if (reason != null) {
            event.put("reason", reason);
        }
        vertx.eventBus().publish(address, event);
    }

    private Mux.Settings settings() {
        TunnelConfig.Edge edge = config.edge();
        return new Mux.Settings(edge.heartbeatInterval(), edge.heartbeatMisses(), edge.maxStreamsPerConnection(),
                Mux.Settings.defaults().maxControlFramesPerSecond());
    }

    private static String clean(String value, String fallback) {
        if (value == null || value.isBlank() || value.length() > 64 || !value.chars().allMatch(c -> c > 32 && c < 127)) {
            return fallback;
        }
        return value;
    }

    private static void problem(HttpServerRequest request, int status, String title, String detail, String reason) {
        JsonObject problem = new JsonObject()
                .put("type", "about:blank")
                .put("title", title)
                .put("status", status)
                .put("detail", detail);
        if (reason != null) {
            problem.put("reason", reason);
            request.response().putHeader("X-Edgestack-Reason", reason);
        }
        request.response()
                .setStatusCode(status)
                .putHeader("Date", EdgeErrorPages.now())
                .putHeader("Content-Type", "application/problem+json")
                .end(problem.encode());
    }
}
