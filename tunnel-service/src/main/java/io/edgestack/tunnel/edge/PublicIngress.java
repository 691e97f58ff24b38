package io.edgestack.tunnel.edge;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.edgestack.cluster.Authority;
import io.edgestack.cluster.ConnectionClose;
import io.edgestack.cluster.HopByHop;
import io.edgestack.cluster.InvalidHostRequests;
import io.edgestack.cluster.MalformedBodies;
import io.edgestack.cluster.TrailerFields;
import io.edgestack.cluster.TrustedProxies;
import io.edgestack.tunnel.config.HostPattern;
import io.edgestack.tunnel.config.TunnelConfig;
import io.edgestack.tunnel.metrics.TunnelMetrics;
import io.edgestack.tunnel.mux.FlushBatch;
import io.edgestack.tunnel.mux.MuxStream;
import io.edgestack.tunnel.mux.Pipes;
import io.edgestack.tunnel.mux.ResetCodes;
import io.edgestack.tunnel.protocol.Heads;
import io.edgestack.tunnel.protocol.UncarriableHead;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Visitor traffic on the edge's public port. A host is answered through a connector connection of its tunnel, bodies
 * streamed both ways with the tunnel's flow control; WebSocket upgrades become raw two-way streams after the origin's
 * 101. The edge answers on its own only as the seed says: no tunnel for the host → 404, no connector connected →
 * 521, connector cannot reach its origin → 502, origin too slow → 504; each with a request id.
 */
@ApplicationScoped
public class PublicIngress {

    /** Hop-by-hop headers (RFC 9110 §7.6.1) and forwarding headers the edge sets itself. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection",
            "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "forwarded",
            "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id", "expect");
    /** Besides {@link HopByHop}'s: framing is the visitor connection's own; TE is a request field (malformed in an
     * HTTP/2 answer, RFC 9113 §8.2.2). */
    private static final Set<String> NOT_RETURNED = Set.of("transfer-encoding", "trailer", "te");

    private final EdgeErrorPages pages;
    private final TunnelDirectory directory;
    private final TunnelMetrics metrics;
    private final long maxBodySize;

    private final TrustedProxies trusted;

    public PublicIngress(EdgeErrorPages pages, TunnelDirectory directory, TunnelMetrics metrics, TunnelConfig config,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size") Optional<MemorySize> maxBodySize) {
        this.trusted = TrustedProxies.parse("edgestack.tunnel.edge.trusted-proxies",
                config.edge().trustedProxies().orElse(List.of()));
        this.maxBodySize = maxBodySize.map(MemorySize::asLongValue).orElse(0L);
        this.pages = pages;
        this.directory = directory;
        this.metrics = metrics;
    }

    /** On the edge's public HTTP router ({@link EdgePublicServer}). */
    void install(Router router) {
        router.route().order(Integer.MAX_VALUE - 1).handler(this::forward);
        answerInvalidHosts(router);
    }

    /**
     * A visitor's request without a valid Host never reaches a route (Vert.x Web fails it first): it gets the edge's own
     * 400 page, not the module-wide plain one ({@link InvalidHostRequests}) nor Quarkus' logged error. On the public
     * HTTP port's router and the HTTPS listener's.
     */
    public void answerInvalidHosts(Router router) {
        router.route().order(InvalidHostRequests.ORDER - 1).failureHandler(context -> {
            if (InvalidHostRequests.isInvalidHost(context)) {
                ConnectionClose.announce(context.request());
                fail(context, 400, null, "Bad request", "The Host header is missing or not a valid host name.");
            } else if (context.failure() == null && !isPath(context.request().path())) {
                answerTargetWithoutPath(context);
            } else {
                context.next();
            }
        });
    }

    private static boolean isPath(String path) {
        return path != null && path.startsWith("/");
    }

    /**
     * A target that is not a path, which Vert.x Web fails as "not found" before any route: {@code OPTIONS *} asks
     * about the server itself and gets {@code 200} with no body, as from Go's server (so Caddy) and Cloudflare;
     * anything else ({@code CONNECT host:443}, which asks the edge to be a forward proxy) is a {@code 400} with the
     * edge's page. Neither goes through a tunnel: no origin route is for them.
     */
    private void answerTargetWithoutPath(RoutingContext context) {
        HttpServerRequest request = context.request();
        if (request.method() == HttpMethod.OPTIONS && "*".equals(request.uri())) {
            metrics.edgeResponse(200);
            context.response().putHeader("X-Request-Id", EdgeErrorPages.requestId(context))
                    .putHeader("Content-Length", "0").end();
            return;
        }
        fail(context, 400, null, "Bad request", "The request target must be a path ('/...'): this edge is not a forward proxy.");
    }

    static final String PROXY_STATUS = "Proxy-Status";
    static final String PROXY_NAME = "edgestack-edge";

    /** A visitor's request, from the public HTTP port or the HTTPS listener. */
    public void handle(RoutingContext context) {
        forward(context);
    }

    private void forward(RoutingContext context) {
        HttpServerRequest request = context.request();
        if (request.headers().getAll("Host").size() > 1) { // RFC 9112 §3.2: which one would the origin act on?
            ConnectionClose.announce(context.request());
            fail(context, 400, null, "Bad request", "The request has more than one Host header.");
            return;
        }
        MalformedBodies.RefusedCoding refused = MalformedBodies.refusedTransferCoding(request);
        if (refused != null) {
            ConnectionClose.announce(context.request());
            fail(context, refused.status(), null, refused.status() == 400 ? "Bad request" : "Not implemented",
                    refused.detail());
            return;
        }
        // quarkus.http.limits.max-body-size, as Quarkus' server answered it before
        if (io.edgestack.cluster.BodyLimits.declaredOver(request, maxBodySize)) {
            ConnectionClose.announce(context.request());
            fail(context, 413, null, "Content too large", "The request body is larger than " + maxBodySize + " bytes.");
            return;
        }
        // an absolute-form target (GET http://example.org/page) names the host, its Host header ignored (RFC 9112
        // §3.2.2), as proxy-service does: the tunnel, the connector's rule and the origin all act on that one host
        String host = Authority.of(request);
        String target = Authority.originForm(request.uri());
        String carried = Authority.escapeTarget(target);
        String name = HostPattern.normalise(host);
        Optional<String> tunnel = directory.tunnelFor(name);
        if (tunnel.isEmpty()) {
            fail(context, 404, null, "No such site", "This edge serves no site named " + safe(host) + ".");
            return;
        }
        TunnelDirectory.Session session = directory.pick(tunnel.get(), name);
        if (session == null) {
            fail(context, 521, "destination_unavailable", "Tunnel not connected",
                    "No connector is connected for this site, so the edge cannot reach its origin. "
                            + "Start the connector (bin/edgestack up) or check its logs.");
            return;
        }
        String requestId = EdgeErrorPages.requestId(context);
        FlushBatch.install(request.connection()); // the answer's pieces come from tunnel reads: one write per batch
        boolean upgrade = isUpgrade(request);
        boolean hasBody = !upgrade && hasBody(request);
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (Map.Entry<String, String> header : request.headers()) {
            if (!NOT_FORWARDED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                headers.add(header.getKey(), header.getValue());
            }
        }
        HopByHop.strip(headers, request.getHeader("Connection")); // and the headers the visitor's Connection names
        String te = request.version() == HttpVersion.HTTP_1_0 ? null : request.getHeader("TE");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("trailers")) {
            // hop-by-hop, but it says the visitor takes trailer fields, which the tunnel carries: gRPC servers ask for it
            headers.set("TE", "trailers");
        }
        if (host != null && (target != request.uri() || !headers.contains("Host"))) {
            // in absolute form the target names the host; an HTTP/2 request names it in :authority, which Vert.x takes
            // out of its headers (the connector's host rules and the origin act on Host: without it, every HTTP/2
            // visitor matched the catch-all rule and reached the origin as its own address)
            headers.set("Host", host);
        }
        if (upgrade) {
            headers.set("Connection", "Upgrade").set("Upgrade", request.getHeader("Upgrade"));
        }
        // the visitor: the peer, or behind a trusted load balancer the address it forwarded (the right-most one that is
        // not a trusted proxy), alone, so that proxy-service, which trusts the connector, finds it in its turn
        String client = trusted.client(request);
        client = client == null ? "unknown" : client;
        String forwardedProto = trusted.trusts(request.remoteAddress()) ? request.getHeader("X-Forwarded-Proto") : null;
        String claimed = forwardedProto == null ? "" : forwardedProto.split(",")[0].trim().toLowerCase(Locale.ROOT);
        String proto = claimed.equals("https") || claimed.equals("http") ? claimed : request.isSSL() ? "https" : "http";
        headers.set("X-Forwarded-For", client).set("X-Forwarded-Proto", proto).set("X-Forwarded-Host", safe(host))
                .set("X-Request-Id", requestId);
        Heads.RequestHead head = new Heads.RequestHead(request.method().name(), carried, headers);
        MuxStream stream;
        try {
            Context visitorLoop = context.vertx().getOrCreateContext(); // the visitor connection's (called on it)
            stream = session.mux().open(head, !hasBody && !upgrade, upgrade,
                    opened -> wire(opened, context, upgrade, hasBody, requestId, visitorLoop));
        } catch (UncarriableHead uncarriable) {
            if (uncarriable.tooLarge()) {
                fail(context, 431, null, "Request head too large", "The request line or headers are too large to forward.");
            } else {
                ConnectionClose.announce(context.request());
                fail(context, 400, null, "Bad request", "The request cannot be forwarded: " + uncarriable.getMessage() + ".");
            }
            return;
        }
        if (hasBody) {
            request.pause();
        }
        context.addEndHandler(ended -> { // failed: the visitor's connection closed before the answer was out
            if (ended.failed() && !stream.isClosed()) {
                stream.reset(ResetCodes.CANCEL, "visitor went away");
            }
        });
        if (hasBody) {
            if (request.version() != HttpVersion.HTTP_2 && request.getHeader("Transfer-Encoding") != null) {
                MalformedBodies.answerWith(request, () -> {
                    stream.reset(ResetCodes.CANCEL, "the visitor's request body is not valid chunked transfer coding");
                    fail(context, 400, null, "Bad request", MalformedBodies.DETAIL);
                });
            }
            if (request.version() == HttpVersion.HTTP_1_1 && "100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
                // as nginx: the body is streamed through the tunnel as it comes, so the visitor may send it now (curl
                // and others wait a second for this answer); the question itself is not forwarded
                context.response().writeContinue();
            }
            Pipes.toTunnel(request, stream);
        }
    }

    /** The edge's half of a stream: the answer head, body and resets go to the visitor. */
    private void wire(MuxStream stream, RoutingContext context, boolean upgrade, boolean hasBody, String requestId,
            Context visitorLoop) {
        HttpServerRequest request = context.request();
        HttpServerResponse response = context.response();
        stream.resetHandler(reset -> {
            metrics.streamReset(ResetCodes.name(reset.code()));
            if (response.headWritten() || response.ended()) {
                response.reset(); // the answer is half sent: the visitor must see it broke, not a short body
                return;
            }
            switch (reset.code()) {
                case ResetCodes.ORIGIN_TIMEOUT -> fail(context, 504, "http_response_timeout", "Origin timeout",
                        "The site's origin did not answer in time. " + reset.reason());
                case ResetCodes.ORIGIN_PROTOCOL_ERROR -> fail(context, 502, "http_protocol_error", "Bad answer from the origin",
                        "The site's origin sent an answer that is not valid HTTP or that the tunnel cannot pass on: "
                                + reset.reason());
                case ResetCodes.REFUSED -> fail(context, 503, "proxy_internal_error", "Tunnel busy",
                        "The connector could not take this request now (" + reset.reason() + "). Try again.");
                default -> fail(context, 502, "connection_refused",
                        "Origin unreachable",
                        "The tunnel could not get an answer from the site's origin: " + reset.reason());
            }
            if (hasBody) { // the stream is over, and so are its drain calls: a paused upload would wait for good
                visitorLoop.runOnContext(v -> endUnreadBody(request, stream));
            }
        });
        stream.informationalHandler(interim -> {
            // 103 Early Hints: the browser may fetch what the Link headers name while the origin works on the answer
            // (an HTTP/1.0 client cannot read an interim answer; other 1xx are the connector's hop's own)
            if (interim.status() == 103 && request.version() != HttpVersion.HTTP_1_0 && !response.headWritten()) {
                HopByHop.strip(interim.headers());
                response.writeEarlyHints(interim.headers());
            }
        });
        stream.responseHandler(answer -> {
            metrics.edgeResponse(answer.status());
            if (upgrade && answer.status() == 101) {
                // On the visitor connection's event loop (this runs on the tunnel connection's): see upgradeVisitor
                visitorLoop.runOnContext(v -> upgradeVisitor(request, answer, stream, context.get(EdgePublicServer.CLOSED)));
                return;
            }
            response.setStatusCode(answer.status());
            HopByHop.strip(answer.headers()); // Connection, the headers it names, Keep-Alive, Proxy-Connection, Upgrade
            for (Map.Entry<String, String> header : answer.headers()) {
                if (!NOT_RETURNED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                    response.headers().add(header.getKey(), header.getValue());
                }
            }
            if (!response.headers().contains("X-Request-Id")) {
                response.putHeader("X-Request-Id", requestId);
            }
            if (!response.headers().contains("Content-Length") && answer.status() >= 200 && answer.status() != 204
                    && answer.status() != 304 && request.method() != HttpMethod.HEAD) {
                response.setChunked(true);
            }
            if (upgrade) {
                // The upgrade was refused with an ordinary answer: the request had no body, and the visitor's side of
                // the stream ends here (it stayed open, counted in flight on both sides, for as long as the connection).
                stream.end();
            }
            Pipes.fromTunnel(stream, response, () -> {
                MultiMap trailers = stream.trailers();
                if (trailers != null && (response.isChunked() || request.version() == HttpVersion.HTTP_2)) {
                    TrailerFields.copy(trailers, response.trailers()); // as the connector did: a connector may be older
                }
                response.end();
                if (hasBody) {
                    visitorLoop.runOnContext(v -> endUnreadBody(request, stream));
                }
            });
        });
    }

    /**
     * Answered before the visitor's body ended (a 404, 405 or 413 an origin gives at once, or the edge's own 502, 503 or
     * 504 for a stream reset): the origin reads no more, so the stream ends now, and what the visitor still sends is
     * read and dropped, so that its connection serves its next request (or, asked to close, is closed once all is
     * read). Left open, the stream stayed in flight for good once the visitor went away mid-body: the answer was over,
     * so its close was no longer reported; left paused, the upload stalled and the connection with it.
     */
    private static void endUnreadBody(HttpServerRequest request, MuxStream stream) {
        if (!request.isEnded()) {
            stream.reset(ResetCodes.CANCEL, "answered before the request body ended");
            request.handler(dropped -> { }).resume();
        }
    }

    /**
     * Turns the visitor's connection into a raw socket piped to the upgraded tunnel stream, on the visitor connection's
     * event loop. A socket drops what it reads before it has a handler, and a visitor may speak as soon as it has the
     * 101: Vert.x makes the socket in a task of the connection's loop, so asked from another thread the socket could
     * take a read (the visitor's first WebSocket message) before the pipe's handler was on it, and lose it (TunnelTest,
     * about one upgrade in 500). Here the socket is made, and piped, in one go; reads also stay off until the pipe is in
     * place, should Vert.x hand the socket over a turn later.
     */
    private static void upgradeVisitor(HttpServerRequest request, Heads.ResponseHead answer, MuxStream stream, Runnable closed) {
        HttpServerResponse response = request.response();
        answer.headers().forEach(h -> response.headers().add(h.getKey(), h.getValue()));
        io.netty.channel.Channel channel = request.connection() instanceof ConnectionBase base ? base.channel() : null;
        io.netty.channel.ChannelConfig visitor = channel == null ? null : channel.config();
        if (channel != null) {
            visitor.setAutoRead(false);
            if (closed != null) { // the answer never ends: the request is over when the socket closes
                channel.closeFuture().addListener(future -> closed.run());
            }
        }
        request.toNetSocket()
                .onSuccess(socket -> Pipes.socket(socket, stream))
                .onFailure(e -> stream.reset(ResetCodes.CANCEL, "visitor upgrade failed: " + e.getMessage()))
                .onComplete(done -> { // piped, or failed: as before, Vert.x answers or closes it
                    if (visitor != null) {
                        visitor.setAutoRead(true);
                    }
                });
    }

    /**
     * An answer of the edge's own. {@code error} (an RFC 9209 proxy error type) goes out in {@code Proxy-Status} so that a
     * client, monitor-service among them, can tell a tunnel failure (no connector: {@code destination_unavailable}) from
     * one behind the connector (its origin refused or was slow).
     */
    private void fail(RoutingContext context, int status, String error, String title, String detail) {
        metrics.edgeResponse(status);
        if (error != null) {
            context.response().putHeader(PROXY_STATUS, PROXY_NAME + "; error=" + error);
        }
        pages.send(context, status, title, detail);
    }

    private static boolean isUpgrade(HttpServerRequest request) {
        String connection = request.getHeader("Connection");
        return request.getHeader("Upgrade") != null && connection != null
                && connection.toLowerCase(Locale.ROOT).contains("upgrade");
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        if (length != null) {
            return !length.trim().equals("0");
        }
        if (request.version() == HttpVersion.HTTP_2) {
            // HTTP/2 need not announce a body (no Content-Length, and no Transfer-Encoding at all): one may come unless
            // the stream has ended, or the method is one that carries none, as proxy-service judges it (an upload of
            // unknown length reached the origin empty)
            return request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD && !request.isEnded();
        }
        return request.getHeader("Transfer-Encoding") != null;
    }

    /** The host as the visitor gave it, kept to host-name characters and 100 of them (it is echoed in a header). */
    private static String safe(String host) {
        if (host == null) {
            return "(none)";
        }
        StringBuilder cleaned = new StringBuilder(Math.min(host.length(), 100));
        for (int i = 0; i < host.length() && cleaned.length() < 100; i++) {
            char c = host.charAt(i);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == ':' || c == '-'
                    || c == '[' || c == ']') {
                cleaned.append(c);
            }
        }
        return cleaned.toString();
    }
}
