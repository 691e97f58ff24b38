package io.edgestack.proxy.http;

import java.util.Optional;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.edgestack.cluster.Authority;
import io.edgestack.cluster.ConnectionClose;
import io.edgestack.cluster.MalformedBodies;
import io.edgestack.cluster.TrustedProxies;
import io.edgestack.proxy.cache.BackgroundRefresh;
import io.edgestack.proxy.cache.CacheStage;
import io.edgestack.proxy.cache.HttpCache;
import io.edgestack.proxy.config.ProxyConfig;
import io.edgestack.proxy.files.StaticFiles;
import io.edgestack.proxy.metrics.ProxyMetrics;
import io.edgestack.proxy.site.Access;
import io.edgestack.proxy.site.RateLimit;
import io.edgestack.proxy.site.SiteMaintenance;
import io.edgestack.proxy.site.Redirects;
import io.edgestack.proxy.site.Route;
import io.edgestack.proxy.site.Site;
import io.edgestack.proxy.site.SiteRegistry;
import io.edgestack.proxy.upstream.UpstreamExchange;
import io.edgestack.proxy.upstream.UpstreamPool;
import io.netty.util.AsciiString;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

/**
 * The public request path: request id, site by host, path checks, route by longest prefix, the site's or route's
 * rate limit and access, then the site's redirects and the route's handler. Security headers and the access log hook
 * onto every response, errors included.
 */
@Singleton
public class ProxyRouter {

    private static final AsciiString HOST = AsciiString.cached("Host");
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(ProxyRouter.class);
    /** "site origin" pairs already warned of: a proxy rule to an origin the site does not allow (bounded). */
    private final java.util.Set<String> refusedOrigins = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final SiteRegistry registry;
    private final StaticFiles staticFiles;
    private final io.edgestack.proxy.fastcgi.FastCgiRoutes fastCgi;
    private final RequestIds requestIds;
    private final TrustedProxies trusted;
    private final Vertx vertx;
    private final boolean accessLog;
    private final int compressionMinSize;
    private final boolean compression;
    private final ProxyMetrics metrics;
    private final long maxBodySize;
    private final HttpCache cache;
    private final AccessGate accessGate;
    private final SiteMaintenance maintenance;

    public ProxyRouter(ProxyConfig config, SiteRegistry registry, StaticFiles staticFiles, Vertx vertx,
            ProxyMetrics metrics, HttpCache cache, AccessGate accessGate, SiteMaintenance maintenance,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") Optional<MemorySize> maxBodySize,
            @ConfigProperty(name = "quarkus.http.enable-compression", defaultValue = "false") boolean compression) {
        this.compression = compression;
        this.accessGate = accessGate;
        this.maintenance = maintenance;
        this.maxBodySize = maxBodySize.map(MemorySize::asLongValue).orElse(0L);
        this.cache = cache;
        this.metrics = metrics;
        this.registry = registry;
        this.staticFiles = staticFiles;
        this.fastCgi = new io.edgestack.proxy.fastcgi.FastCgiRoutes(vertx, staticFiles.files(),
                config.files().checkInterval().toNanos());
        this.vertx = vertx;
        this.trusted = TrustedProxies.parse("edgestack.proxy.trusted-proxies", config.trustedProxies());
        this.requestIds = new RequestIds(trusted);
        this.accessLog = config.accessLog();
        this.compressionMinSize = config.compressionMinSize();
    }

    /** One visitor request, from {@link PublicServer}; {@code end} runs what must follow the answer. */
    void handle(HttpServerRequest request, RequestEnd end) {
        long start = System.nanoTime();
        HttpServerResponse response = request.response();
        String requestId = requestIds.of(request);
        String host = Authority.of(request);
        Site site = registry.sites().forHost(host);
        response.putHeader(HeaderNames.REQUEST_ID, requestId).putHeader(HeaderNames.DATE, HttpDate.nowAscii());
        boolean tls = tls(request);
        response.headersEndHandler(v -> {
            UpstreamExchange.restoreDate(response.headers());
            if (compression) {
                CompressionPolicy.apply(request, response.headers(), response.getStatusCode(), compressionMinSize);
            }
            SecurityHeaders.apply(site.headers(), response.headers(), tls);
        });
        Outcome outcome = new Outcome();
        end.add(() -> {
            if (accessLog) {
                AccessLog.record(request, trusted, site.name(), requestId, start);
            }
            String routeLabel = outcome.route != null ? outcome.route.pathPrefix() : routeLabel(site, request.path());
            metrics.record(new ProxyMetrics.Labels(site.name(), routeLabel, outcome.upstream,
                    ProxyMetrics.statusClass(response.getStatusCode()), staticFiles.files().lastRelease(site.name())),
                    System.nanoTime() - start, request.bytesRead(), response.bytesWritten());
        });

        if (io.edgestack.cluster.BodyLimits.declaredOver(request, maxBodySize)) {
            closeAfter(request, end);
            ErrorPages.send(request, 413, "Content Too Large", "The request body is larger than " + maxBodySize + " bytes.", null);
            return;
        }
        if (!validHost(host, request.version())) {
            closeAfter(request, end);
            ErrorPages.send(request, 400, "Bad Request", host == null ? "The request is malformed (a Host header is required)."
                    : "The Host header is malformed.", null);
            return;
        }
        if (host != null && request.headers().getAll(HOST).size() > 1) { // RFC 9112 §3.2
            closeAfter(request, end);
            ErrorPages.send(request, 400, "Bad Request", "The request has more than one Host header.", null);
            return;
        }
        MalformedBodies.RefusedCoding refused = MalformedBodies.refusedTransferCoding(request);
        if (refused != null) { // before any route: neither a file nor an upstream may read such a body
            closeAfter(request, end);
            ErrorPages.send(request, refused.status(), refused.status() == 400 ? "Bad Request" : "Not Implemented",
                    refused.detail(), null);
            return;
        }
        String coding = request.version() == HttpVersion.HTTP_2 ? null : request.getHeader(HttpHeaders.TRANSFER_ENCODING);
        if (coding != null) {
            if (!"chunked".equals(coding) && "chunked".equalsIgnoreCase(coding.trim())) {
                // codings are case-insensitive (the decoder reads "Chunked" as chunked); vertx-http-proxy refuses
                // any but the exact "chunked" with an empty 400
                request.headers().set(HttpHeaders.TRANSFER_ENCODING, "chunked");
            }
            // a chunked body the decoder refuses: 400, on every route (an upstream never gets such a body)
            MalformedBodies.answerWith(request, () -> ErrorPages.send(request, 400, "Bad Request", MalformedBodies.DETAIL, null));
        }
        if (request.method() == HttpMethod.OPTIONS && "*".equals(request.uri())) {
            // a question about the server itself, no resource: 200 with no body, as from Go's server (so Caddy)
            request.response().putHeader(HttpHeaders.CONTENT_LENGTH, "0").end();
            return;
        }
        String path;
        try {
            path = PathGuard.clean(request.path());
        } catch (PathGuard.BadPath e) {
            ErrorPages.send(request, 400, "Bad Request", "Refused path: " + e.getMessage() + ".", null);
            return;
        }
        SiteMaintenance.Closed closed = maintenance.of(site.name());
        if (closed != null) { // bin/edgestack maintenance: every route of the site, before anything else answers
            outcome.upstream = "maintenance";
            response.putHeader(HttpHeaders.RETRY_AFTER, "120");
            ErrorPages.send(request, 503, "Down for maintenance", closed.message(), closed.page());
            return;
        }
        Route route = site.route(path);
        outcome.route = route;
        RateLimit limit = site.rateLimitOn(route);
        Access access = site.accessOn(route);
        String client = limit != null || access != null ? trusted.client(request) : null;
        if (limit != null) { // first: password guesses are requests too
            long wait = limit.take(client);
            if (wait > 0) {
                metrics.rateLimited(site.name(), route == null ? "none" : route.pathPrefix());
                response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(wait));
                ErrorPages.send(request, 429, "Too Many Requests", "Too many requests from this address: try again in "
                        + wait + " s.", null);
                return;
            }
        }
        if (access != null) { // before anything is answered from the site: its redirects, its cache, its files
            accessGate.admit(request, access, client, access.forwardAuth() != null ? scheme(request, tls) : null, host,
                    () -> dispatch(request, end, site, host, tls, path, route, outcome));
            return;
        }
        dispatch(request, end, site, host, tls, path, route, outcome);
    }

    /** The request's answer once it is admitted: a redirect of the site, its route's upstream or files, or 404. */
    private void dispatch(HttpServerRequest request, RequestEnd end, Site site, String host, boolean tls, String path,
            Route route, Outcome outcome) {
        HttpServerResponse response = request.response();
        if (!site.redirects().isEmpty()) {
            Redirects.Target redirect = site.redirects().target(path, request.query());
            if (redirect != null) {
                outcome.upstream = "redirect";
                response.setStatusCode(redirect.status()).putHeader(HttpHeaders.LOCATION, redirect.location()).end();
                return;
            }
        }
        if (route == null) {
            ErrorPages.send(request, 404, "Not Found", "No route of site '" + site.name() + "' matches this path.", null);
            return;
        }
        if (route.kind() == Route.Kind.UPSTREAM) {
            boolean upgrade = UpstreamExchange.isWebSocketUpgrade(request);
            if (upgrade) {
                end.orConnectionClosed(request.connection()); // the exchange lasts as long as the WebSocket
            }
            // an answer to a visitor an authentication service let in may be that visitor's own: never shared
            Access access = site.edgeCache().enabled() ? site.accessOn(route) : null;
            CacheStage stage = site.edgeCache().enabled() && !upgrade && (access == null || access.forwardAuth() == null)
                    ? new CacheStage(cache, request, site.edgeCache(), scheme(request, tls), host, null) : null;
            if (stage != null && stage.answerFreshHit()) {
                outcome.upstream = "cache";
                return;
            }
            UpstreamPool pool = registry.pool(route);
            HttpClient client = upgrade ? registry.upgradeClient() : registry.client(pool.spec());
            UpstreamExchange exchange = new UpstreamExchange(vertx, client, request, site, route, pool, trusted,
                    staticFiles.files(), upstream -> {
                        outcome.upstream = upstream.url();
                        end.add(upstream::release);
                    }).bodyLimit(maxBodySize).webSocket(upgrade);
            if (stage != null) {
                stage.refreshWith(new BackgroundRefresh(template -> UpstreamExchange.detached(client, pool, route, template, trusted)));
                end.add(stage::finish);
                exchange.cache(stage);
            }
            exchange.run();
            return;
        }
        if (route.kind() == Route.Kind.RESPOND) {
            outcome.upstream = "respond";
            io.edgestack.proxy.site.Respond respond = route.respond();
            response.setStatusCode(respond.status()).putHeader(HttpHeaders.CONTENT_TYPE, respond.contentType());
            respond.headers().forEach(response::putHeader);
            if (request.method() == io.vertx.core.http.HttpMethod.HEAD) { // the length the GET would have
                response.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(respond.body().length())).end();
            } else {
                response.end(respond.body());
            }
            return;
        }
        if (route.kind() == Route.Kind.FASTCGI) {
            outcome.upstream = "fastcgi";
            fastCgi.serve(request, site, route.fastcgi(), path, scheme(request, tls), host, trusted.client(request), maxBodySize,
                    () -> staticFiles.serve(request, site, path, false, target -> rewriteProxy(request, end, site, target, outcome)));
            return;
        }
        outcome.upstream = "static";
        staticFiles.serve(request, site, path, route.browse(), target -> rewriteProxy(request, end, site, target, outcome));
    }

    /**
     * A request that the live release's {@code _redirects} proxies to {@code target} (Netlify's proxy rewrites,
     * {@code /api/* https://api.example.com/:splat 200}): passed to the site's upstream for that origin
     * ({@code rewrite-origins}), asked for the target's path and query, as any proxied request (forwarding headers,
     * timeouts, retries, streaming, WebSockets). An origin the site does not list is a {@code 502}: a deployed file
     * alone cannot make the proxy fetch an address.
     */
    private void rewriteProxy(HttpServerRequest request, RequestEnd end, Site site, String target, Outcome outcome) {
        String origin = Site.originOf(target);
        Route route = site.rewriteRoute(origin);
        UpstreamPool pool = route == null ? null : registry.pool(route);
        if (pool == null) {
            if (refusedOrigins.size() < 1000 && refusedOrigins.add(site.name() + " " + origin)) {
                LOG.warnf("Site %s: its release's _redirects proxies to %s, which the site's rewrite-origins does not list: "
                        + "such requests are answered 502", site.name(), origin);
            }
            request.resume();
            ErrorPages.send(request, 502, "Bad Gateway",
                    "This address is proxied to a server that the site's configuration does not allow.", null);
            return;
        }
        boolean upgrade = UpstreamExchange.isWebSocketUpgrade(request);
        if (upgrade) {
            end.orConnectionClosed(request.connection());
        }
        HttpClient client = upgrade ? registry.upgradeClient() : registry.client(pool.spec());
        new UpstreamExchange(vertx, client, request, site, route, pool, trusted, staticFiles.files(), upstream -> {
            outcome.upstream = upstream.url();
            end.add(upstream::release);
        }).bodyLimit(maxBodySize).webSocket(upgrade).uri(UpstreamExchange.pathAndQuery(target)).run();
    }

    /** What the metrics of a request are labelled with, as the request finds it out. */
    private static final class Outcome {
        /** The route taken (null until found: a request refused before has its raw path's route, if any). */
        Route route;
        /** The upstream's URL, or {@code cache}, {@code static}, {@code none}. */
        String upstream = "none";
    }

    /**
     * HTTP/1.x: the connection is closed once the answer is out (lingering: what the visitor still sends is read and
     * dropped, not passed on; {@link ConnectionClose#close}).
     */
    private static void closeAfter(HttpServerRequest request, RequestEnd end) {
        if (ConnectionClose.announce(request)) {
            end.add(() -> ConnectionClose.close(request));
        }
    }

    /** The scheme the visitor used: X-Forwarded-Proto from a trusted proxy (the tunnel, a load balancer), else ours. */
    private String scheme(HttpServerRequest request, boolean tls) {
        String forwarded = request.getHeader("X-Forwarded-Proto");
        if (forwarded != null && trusted.trusts(request.remoteAddress())) {
            String first = forwarded.split(",")[0].trim().toLowerCase(java.util.Locale.ROOT);
            if (first.equals("https") || first.equals("http")) {
                return first;
            }
        }
        return tls ? "https" : "http";
    }

    /**
     * Whether the visitor's connection is TLS, asked of the connection: the request's own isSSL goes through Vert.x
     * Web's forwarded-header parser (which this proxy does its own way, see TrustedProxies), at a cost per request;
     * asked once per request (the connection looks for its TLS handler in the pipeline).
     */
    private static boolean tls(HttpServerRequest request) {
        return request.connection().isSsl();
    }

    private static String routeLabel(Site site, String rawPath) {
        Route route = rawPath == null ? null : site.route(rawPath);
        return route == null ? "none" : route.pathPrefix();
    }

    static boolean validHost(String host, HttpVersion version) {
        if (host == null) {
            return version == HttpVersion.HTTP_1_0 || version == HttpVersion.HTTP_2;
        }
        if (host.isEmpty() || host.length() > 255) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
