package io.edgestack.tunnel.tls;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import org.jboss.logging.Logger;

import io.edgestack.cluster.RequestHeadTimeout;
import io.edgestack.cluster.UnsupportedVersions;
import io.edgestack.tunnel.config.HostPattern;
import io.edgestack.tunnel.config.TunnelConfig;
import io.edgestack.tunnel.edge.PublicIngress;
import io.edgestack.tunnel.edge.TunnelDirectory;
import io.edgestack.tunnel.metrics.TunnelMetrics;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.ext.web.Router;

/**
 * Public HTTPS at the edge: a TLS listener (HTTP/1.1 and HTTP/2 by ALPN) that serves each host's certificate by SNI,
 * and the certificates themselves, obtained over ACME for the configured host names only, kept on disk (a restart
 * reuses them), renewed two thirds into their life (or when the CA's renewal information says), retried with
 * backoff; a failed renewal keeps the current certificate in service.
 */
@ApplicationScoped
public class CertificateManager {

    private static final Logger LOG = Logger.getLogger(CertificateManager.class);
    static final String HSTS = "Strict-Transport-Security";

    /** A host's renewal state: the next attempt after a failure, and whether an order is running. */
    private record Attempt(Instant notBefore, Duration lastWait, boolean running, String lastError) {
    }

    private final TunnelConfig config;
    private final Vertx vertx;
    private final TunnelDirectory directory;
    private final Instance<PublicIngress> ingress;
    private final TunnelMetrics metrics;
    private final SniKeyManager keys = new SniKeyManager();
    private final Map<String, Attempt> attempts = new ConcurrentHashMap<>();
    private final AtomicReference<HttpServer> server = new AtomicReference<>();
    private final Clock clock = Clock.systemUTC();
    private volatile List<String> hosts = List.of();
    private volatile AcmeIssuer issuer;
    private volatile long timer = -1;

    public CertificateManager(TunnelConfig config, Vertx vertx, TunnelDirectory directory, Instance<PublicIngress> ingress,
            TunnelMetrics metrics) {
        this.config = config;
        this.vertx = vertx;
        this.directory = directory;
        this.ingress = ingress;
        this.metrics = metrics;
    }

    /** Whether the edge terminates TLS (edge mode with {@code edgestack.tunnel.edge.tls.enabled}). */
    public boolean active() {
        return issuer != null;
    }

    void start(@Observes StartupEvent event) throws IOException {
        TunnelConfig.Tls tls = config.edge().tls();
        if (config.mode() != TunnelConfig.Mode.EDGE || !tls.enabled()) {
            return;
        }
        hosts = hosts(tls);
        CertificateStore store = new CertificateStore(tls.acme().storageDir());
        issuer = new AcmeIssuer(tls.acme().directory(), tls.acme().email(), tls.acme().trustFile(), store,
                tls.acme().timeout(), tls.acme().challenges(), keys);
        for (String host : hosts) {
            store.load(host).ifPresent(certificate -> {
                keys.put(certificate);
                LOG.infof("Certificate of %s loaded from %s (valid until %s)", host, store.root(), certificate.notAfter());
            });
            metrics.certificateExpiry(host, () -> {
                StoredCertificate current = keys.get(host);
                return current == null ? Double.NaN : current.notAfter().getEpochSecond();
            });
        }
        Router router = Router.router(vertx);
        String hsts = tls.hsts().trim();
        router.route().handler(context -> {
            if (!hsts.equalsIgnoreCase("off")) {
                HttpServerResponse response = context.response();
                response.headersEndHandler(v -> {
                    if (!response.headers().contains(HSTS)) {
                        response.putHeader(HSTS, hsts);
                    }
                });
            }
            ingress.get().handle(context);
        });
        ingress.get().answerInvalidHosts(router);
        HttpServerOptions options = new HttpServerOptions().setHost(tls.host()).setPort(tls.port()).setSsl(true)
                .setUseAlpn(true).setSslEngineOptions(new AcmeTlsEngineOptions())
                .setKeyCertOptions(KeyCertOptions.wrap(keys)).setTcpNoDelay(true)
                .setMaxHeaderSize(16 * 1024).setCompressionSupported(false);
        HttpServer bound = RequestHeadTimeout.server(vertx, options, tls.requestHeadTimeout().toMillis(), () -> metrics.headTimedOut("https"))
                .connectionHandler(connection -> {
                    UnsupportedVersions.guard(connection);
                    RequestHeadTimeout.connected(connection);
                }).requestHandler(router).listen()
                .toCompletionStage().toCompletableFuture().join();
        server.set(bound);
        LOG.infof("Public HTTPS on %s:%d for %s; certificates from %s, kept in %s", tls.host(), bound.actualPort(), hosts,
                issuer.directory(), store.root());
        check();
        timer = vertx.setPeriodic(Math.max(1000, tls.acme().checkInterval().toMillis()), id -> check());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        HttpServer running = server.getAndSet(null);
        if (running != null) {
            running.close();
        }
    }

    private List<String> hosts(TunnelConfig.Tls tls) {
        Map<String, List<String>> patterns = new java.util.LinkedHashMap<>();
        directory.tunnels().forEach((id, tunnel) -> patterns.put(id, tunnel.hosts().stream().map(HostPattern::pattern).toList()));
        return managedHosts(tls.hosts(), patterns, directory::tunnelFor);
    }

    /**
     * The names certificates are obtained for: the configured ones, each of them an exact name that a tunnel of this
     * edge serves, or else every exact name among the tunnels' host patterns. Anything else is refused naming the key.
     */
    static List<String> managedHosts(Optional<List<String>> configured, Map<String, List<String>> tunnelPatterns,
            java.util.function.Function<String, Optional<String>> tunnelFor) {
        Set<String> names = new LinkedHashSet<>();
        if (configured.isPresent()) {
            for (String host : configured.get()) {
                String name = HostPattern.normalise(host);
                HostPattern.parse("edgestack.tunnel.edge.tls.hosts", name);
                if (name.contains("*")) {
                    throw new IllegalArgumentException("edgestack.tunnel.edge.tls.hosts: '" + host
                            + "' is a wildcard; HTTP-01 validates exact names only");
                }
                if (tunnelFor.apply(name).isEmpty()) {
                    throw new IllegalArgumentException("edgestack.tunnel.edge.tls.hosts: '" + host
                            + "' is served by no tunnel of this edge (edgestack.tunnel.edge.tunnels.<id>.hosts)");
                }
                names.add(name);
            }
        } else {
            tunnelPatterns.values().forEach(patterns -> patterns.stream().filter(p -> !p.contains("*")).forEach(names::add));
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("edgestack.tunnel.edge.tls.enabled: no host name to obtain a certificate "
                    + "for; list exact names in edgestack.tunnel.edge.tls.hosts or in a tunnel's hosts");
        }
        return List.copyOf(names);
    }

    /** The ACME key authorization for an HTTP-01 token, while its challenge is pending. */
    public String challengeResponse(String token) {
        AcmeIssuer current = issuer;
        return current == null ? null : current.challengeResponse(token);
    }

    /** Whether plain HTTP requests for {@code host} go to HTTPS: only once it has a certificate to show there. */
    public boolean redirects(String host) {
        return active() && config.edge().tls().redirectHttp() && keys.get(host) != null;
    }

    /** The HTTPS port visitors use, for redirects. */
    public int publicPort() {
        HttpServer bound = server.get();
        return config.edge().tls().publicPort().orElse(bound != null ? bound.actualPort() : config.edge().tls().port());
    }

    /** Each host's certificate and renewal state, for the admin API. */
    public List<JsonObject> state() {
        List<JsonObject> state = new ArrayList<>();
        for (String host : hosts) {
            StoredCertificate certificate = keys.get(host);
            Attempt attempt = attempts.get(host);
            JsonObject entry = new JsonObject().put("host", host);
            if (certificate != null) {
                entry.put("notBefore", certificate.notBefore().toString()).put("notAfter", certificate.notAfter().toString())
                        .put("renewAt", certificate.renewAt().toString())
                        .put("issuer", certificate.chain().get(0).getIssuerX500Principal().getName());
            }
            if (attempt != null) {
                entry.put("ordering", attempt.running());
                if (attempt.lastError() != null) {
                    entry.put("lastError", attempt.lastError()).put("nextAttempt", attempt.notBefore().toString());
                }
            }
            state.add(entry);
        }
        return state;
    }

    /** Orders a new certificate for {@code host} now (admin API), whatever the renewal schedule says. */
    public Future<StoredCertificate> renewNow(String host) {
        if (!hosts.contains(host)) {
            return Future.failedFuture(new IllegalArgumentException("no certificate is managed for " + host
                    + "; managed: " + hosts));
        }
        return order(host);
    }

    /** Every check interval: orders what is missing or due, except hosts waiting out a failure's backoff. */
    private void check() {
        Instant now = clock.instant();
        for (String host : hosts) {
            Attempt attempt = attempts.get(host);
            if (attempt != null && (attempt.running() || now.isBefore(attempt.notBefore()))) {
                continue;
            }
            StoredCertificate current = keys.get(host);
            if (current == null || !now.isBefore(current.renewAt())) {
                order(host);
            } else if (now.isAfter(current.notBefore().plus(Duration.between(current.notBefore(), current.notAfter())
                    .dividedBy(3)))) {
                // Past a third of its life: ask the CA whether it wants an earlier renewal (ACME Renewal Information).
                vertx.<Optional<Instant>>executeBlocking(() -> issuer.suggestedRenewal(current), false)
                        .onSuccess(suggested -> suggested.filter(at -> !clock.instant().isBefore(at))
                                .ifPresent(at -> order(host)));
            }
        }
    }

    private Future<StoredCertificate> order(String host) {
        Attempt previous = attempts.get(host);
        if (previous != null && previous.running()) {
            return Future.failedFuture(new IllegalStateException("an order for " + host + " is already running"));
        }
        attempts.put(host, new Attempt(clock.instant(), previous == null ? null : previous.lastWait(), true,
                previous == null ? null : previous.lastError()));
        Optional<StoredCertificate> current = Optional.ofNullable(keys.get(host));
        LOG.infof("Ordering a certificate for %s from %s%s", host, issuer.directory(),
                current.map(c -> " (renewing the one valid until " + c.notAfter() + ")").orElse(""));
        return vertx.executeBlocking(() -> issuer.issue(host, current), false)
                .onSuccess(certificate -> {
                    keys.put(certificate);
                    attempts.remove(host);
                    metrics.acmeOrder(current.isPresent() ? "renewed" : "issued", null);
                    LOG.infof("Certificate of %s %s: valid until %s, renewal from %s", host,
                            current.isPresent() ? "renewed" : "obtained", certificate.notAfter(), certificate.renewAt());
                })
                .onFailure(failure -> {
                    String kind = failure instanceof AcmeIssuer.IssueFailed f ? f.kind : "internal";
                    TunnelConfig.Acme acme = config.edge().tls().acme();
                    Duration wait = previous == null || previous.lastWait() == null ? acme.retryInitial()
                            : previous.lastWait().multipliedBy(2);
                    if (wait.compareTo(acme.retryMax()) > 0) {
                        wait = acme.retryMax();
                    }
                    attempts.put(host, new Attempt(clock.instant().plus(wait), wait, false, failure.getMessage()));
                    vertx.setTimer(wait.toMillis() + 10, id -> check());
                    metrics.acmeOrder("failed", kind);
                    LOG.errorf("Certificate of %s could not be %s (%s): %s; %s, next attempt in %s", host,
                            current.isPresent() ? "renewed" : "obtained", kind, failure.getMessage(),
                            current.map(c -> "still serving the one valid until " + c.notAfter())
                                    .orElse("HTTPS for it fails until then"), wait);
                });
    }
}
