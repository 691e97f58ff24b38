package io.edgestack.proxy.upstream;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import io.edgestack.cluster.ConnectionClose;
import io.edgestack.cluster.UpgradedClientSocket;
import io.edgestack.proxy.http.ErrorPages;
import io.edgestack.proxy.http.HeaderNames;
import io.edgestack.cluster.HopByHop;
import io.edgestack.cluster.TrailerFields;
import io.edgestack.cluster.TrustedProxies;
import io.edgestack.proxy.files.ReleaseFiles;
import io.edgestack.proxy.site.Route;
import io.edgestack.proxy.site.Site;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.core.streams.Pipe;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.OriginRequestProvider;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyOptions;
import io.vertx.httpproxy.ProxyResponse;

/**
 * One request proxied to an upstream pool, on vertx-http-proxy: this object chooses the upstream (retrying another one
 * when connecting fails and the request is idempotent), sets the forwarding headers, and turns failures and upstream
 * error answers into the site's error pages. Bodies stream both ways; nothing is buffered.
 */
public final class UpstreamExchange implements OriginRequestProvider, ProxyInterceptor {

    private static final Logger LOG = Logger.getLogger(UpstreamExchange.class);
    private static final ProxyOptions OPTIONS = new ProxyOptions().setSupportWebSocket(false); // passWebSocket
    /**
     * Carries the answer's {@code Date} past vertx-http-proxy's own send, which the exchange leaves two kinds of answer to
     * (see {@link #send}): the library writes the Date again, parsed and formatted as RFC 1123 with one-digit days
     * rather than the IMF-fixdate RFC 9110 asks for, and {@link #restoreDate} puts this one back as the headers leave.
     */
    private static final String DATE_CARRIER = "x-edgestack-forwarded-date";

    /**
     * Bodies from this size on (and those of unknown length) go to the visitor from the upstream connection's read
     * buffers ({@link UpstreamBodies}); a smaller one arrives with its head, where the copy costs less than the extra
     * turn of the event loop that carrying it takes.
     */
    private static final long CARRIED_FROM = 16 * 1024;

    private final Vertx vertx;
    private final HttpClient client;
    private final HttpServerRequest request;
    private final Site site;
    private final Route route;
    private final UpstreamPool pool;
    private final TrustedProxies trusted;
    private final ReleaseFiles files;
    private final Consumer<Upstream> onRelease;
    private final Set<Upstream> tried = new HashSet<>(2);
    private long bodyLimit;
    private boolean webSocket;
    /** The URI the upstream is asked for when not the visitor's (see {@link #uri(String)}), or null. */
    private String uri;
    private ProxyInterceptor cacheStage;
    /** The visitor's body on its way up, or null for a request without one. */
    private RequestBody body;
    private Upstream chosen;
    private HttpClientRequest upstreamRequest;
    private Throwable failure;
    /** The upstream's answer came in a transfer coding that cannot be passed on (see {@link #transferCoding}). */
    private String unknownCoding;

    public UpstreamExchange(Vertx vertx, HttpClient client, HttpServerRequest request, Site site, Route route,
            UpstreamPool pool, TrustedProxies trusted, ReleaseFiles files, Consumer<Upstream> onRelease) {
        this.vertx = vertx;
        this.client = client;
        this.request = request;
        this.site = site;
        this.route = route;
        this.pool = pool;
        this.trusted = trusted;
        this.files = files;
        this.onRelease = onRelease;
    }

    /** The largest request body forwarded when its length is not declared (chunked); 0 for no limit. */
    public UpstreamExchange bodyLimit(long bytes) {
        this.bodyLimit = bytes;
        return this;
    }

    /**
     * Asks the upstream for {@code pathAndQuery} instead of the visitor's URI (a {@code _redirects} proxy rule's target);
     * the route's prefix is not stripped from it.
     */
    public UpstreamExchange uri(String pathAndQuery) {
        this.uri = pathAndQuery;
        return this;
    }

    /** The raw path (at least {@code /}) and query of an absolute URL, without its fragment. */
    public static String pathAndQuery(String url) {
        java.net.URI target = java.net.URI.create(url);
        String path = target.getRawPath() == null || target.getRawPath().isEmpty() ? "/" : target.getRawPath();
        return target.getRawQuery() == null ? path : path + "?" + target.getRawQuery();
    }

    /** The request is a WebSocket upgrade ({@link #isWebSocketUpgrade}, as the router found it). */
    public UpstreamExchange webSocket(boolean upgrade) {
        this.webSocket = upgrade;
        return this;
    }

    /** Puts the edge cache in front of the upstream: it answers hits and stores what the upstream sends. */
    public UpstreamExchange cache(ProxyInterceptor stage) {
        this.cacheStage = stage;
        return this;
    }

    public void run() {
        HttpProxy proxy = HttpProxy.reverseProxy(OPTIONS, client).origin(this).addInterceptor(this);
        if (cacheStage != null) {
            proxy.addInterceptor(cacheStage);
        }
        if (!(request instanceof HttpServerRequestInternal internal)) {
            proxy.handle(request);
            return;
        }
        if (webSocket) {
            passWebSocket();
            return;
        }
        proxy.handle(new DeferredResetRequest(internal, vertx.getOrCreateContext(), uri));
    }

    /**
     * A WebSocket upgrade, passed on here rather than by vertx-http-proxy, which pipes the two sockets with bare
     * handlers: it read all a visitor sent to an upstream that read slowly or not at all and held it in memory (64 MiB
     * in 3 s in {@code ReverseProxyTest}), and the same the other way for a visitor that reads slowly. Here each side is
     * read only as fast as the other side's connection takes it (Vert.x pipes; the upstream's writing end is
     * {@link UpgradedClientSocket}, Vert.x's own not saying when it is full). The upstream is chosen, retried and timed
     * as for any request, asked with the forwarding headers, the request id and the {@code Host} of the pool's
     * {@code host-header} rule, as other requests; an answer other than 101 is passed on as it came.
     */
    private void passWebSocket() {
        MultiMap headers = forUpstream(MultiMap.caseInsensitiveMultiMap().addAll(request.headers()));
        headers.remove(HttpHeaders.HOST).remove(HttpHeaders.CONTENT_LENGTH).remove(HttpHeaders.TRANSFER_ENCODING)
                .set(HttpHeaders.CONNECTION, HttpHeaders.UPGRADE).set(HttpHeaders.UPGRADE, HttpHeaders.WEBSOCKET);
        request.pause(); // nothing is read from the visitor before its socket is piped
        attempt(pool.spec().retries()).compose(upstream -> {
            io.vertx.core.net.HostAndPort authority = pool.spec().headers().authority(chosen,
                    io.edgestack.cluster.Authority.of(request));
            if (authority != null) {
                upstream.authority(authority);
            }
            upstream.setMethod(HttpMethod.GET).setURI(uri != null ? uri : upstreamUri(request.uri(), pool, route));
            upstream.headers().setAll(headers);
            return upstream.connect();
        }).onComplete(answered -> {
            if (answered.failed()) {
                Throwable error = answered.cause();
                LOG.debugf("WebSocket upgrade of %s not passed on: %s", request.uri(), error);
                boolean timeout = isTimeout(error);
                request.response().putHeader("Proxy-Status", "edgestack-proxy; error=" + proxyError(error));
                errorPage(timeout ? 504 : 502, timeout ? "Gateway Timeout" : "Bad Gateway",
                        timeout ? "The upstream server did not answer in time." : "The upstream server could not be reached.");
                return;
            }
            HttpClientResponse answer = answered.result();
            HttpServerResponse out = request.response();
            out.setStatusCode(answer.statusCode());
            MultiMap returned = MultiMap.caseInsensitiveMultiMap().addAll(answer.headers());
            if (answer.statusCode() != 101) {
                HopByHop.strip(returned);
            }
            HeaderRules rules = pool.spec().headers();
            if (rules.changesResponses()) {
                rules.response(returned);
            }
            out.headers().addAll(returned);
            if (answer.statusCode() != 101) { // refused: its answer as it came
                out.headers().remove(HttpHeaders.TRANSFER_ENCODING);
                if (!out.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
                    out.setChunked(true);
                }
                request.resume();
                answer.pipeTo(out);
                return;
            }
            // What the upstream sends from now on waits until the pipe below reads it: its socket, paused here, before
            // the visitor's is made (a task later). Pausing the answer did not hold the socket, which dropped what came
            // before the pipe's handler was on it: an upstream's greeting sent with its 101 was lost about once in
            // a thousand upgrades (ReverseProxyTest.aWebSocketLosesNoFirstMessageEitherWay, upgrade 455 in one CI run).
            answer.pause();
            io.vertx.core.net.NetSocket upstreamSocket = answer.netSocket().pause();
            request.toNetSocket().onComplete(made -> {
                if (made.failed()) {
                    LOG.debugf("WebSocket of %s: the visitor's socket could not be made: %s", request.uri(), made.cause());
                    upstreamSocket.close();
                    return;
                }
                io.vertx.core.net.NetSocket visitor = made.result();
                visitor.pipeTo(UpgradedClientSocket.of(answer, upstreamSocket));
                upstreamSocket.pipeTo(visitor);
                visitor.closeHandler(v -> upstreamSocket.close());
                upstreamSocket.closeHandler(v -> visitor.close());
            });
        });
    }

    /**
     * Whether vertx-http-proxy passes this request on as a WebSocket upgrade (its own test, after a cheap look at
     * {@code Upgrade} for the usual request that has none).
     */
    public static boolean isWebSocketUpgrade(HttpServerRequest request) {
        return "websocket".equalsIgnoreCase(request.getHeader(HttpHeaders.UPGRADE))
                && io.vertx.core.http.impl.HttpUtils.canUpgradeToWebSocket(request);
    }

    /**
     * The visitor's request headers as the upstream gets them: the connection's own removed, the forwarding headers and
     * the request id set.
     */
    private MultiMap forUpstream(MultiMap headers) {
        HopByHop.strip(headers, request.getHeader(HttpHeaders.CONNECTION));
        ForwardedHeaders.apply(request, headers, trusted);
        headers.set(HeaderNames.REQUEST_ID, request.response().headers().get(HeaderNames.REQUEST_ID));
        HeaderRules rules = pool.spec().headers();
        if (rules.changesRequests()) {
            rules.request(headers);
        }
        return headers;
    }

    /** The URI the upstream is asked for: the visitor's, without the route's prefix if the pool strips it. */
    private static String upstreamUri(String target, UpstreamPool pool, Route route) {
        String uri = io.edgestack.cluster.Authority.originForm(target);
        if (!pool.spec().stripPrefix() || route.pathPrefix().length() <= 1) {
            return uri;
        }
        String prefix = route.pathPrefix().endsWith("/") ? route.pathPrefix().substring(0, route.pathPrefix().length() - 1)
                : route.pathPrefix();
        if (!uri.startsWith(prefix)) {
            return uri;
        }
        String rest = uri.substring(prefix.length());
        return rest.isEmpty() || rest.charAt(0) != '/' ? "/" + rest : rest;
    }

    /** Called as the response headers are written: the upstream's {@code Date} goes back in. */
    public static void restoreDate(MultiMap headers) {
        String date = headers.get(DATE_CARRIER);
        if (date != null) {
            headers.remove(DATE_CARRIER).set(HttpHeaders.DATE, date);
        }
    }

    /**
     * A request to an upstream of the pool made outside of a client's exchange (a background cache refresh): the
     * client's method, URI (with the route's prefix stripped if asked) and forwarding headers.
     */
    public static Future<HttpClientRequest> detached(HttpClient client, UpstreamPool pool, Route route,
            HttpServerRequest template, TrustedProxies trusted) {
        Upstream upstream = pool.pick(template, Set.of());
        if (upstream == null) {
            return Future.failedFuture(new NoUpstreamException("no upstream of " + pool.name() + " is healthy"));
        }
        String uri = upstreamUri(template.uri(), pool, route);
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(upstream.host())
                .setPort(upstream.port()).setSsl(upstream.ssl()).setURI(uri)
                .setConnectTimeout(pool.spec().connectTimeout().toMillis())
                .setIdleTimeout(pool.spec().firstByteTimeout().toMillis());
        return client.request(options).map(request -> {
            HeaderRules rules = pool.spec().headers(); // the Host as the visitor's own requests have it
            io.vertx.core.net.HostAndPort authority = rules.authority(upstream, io.edgestack.cluster.Authority.of(template));
            if (authority != null) {
                request.authority(authority);
            }
            ForwardedHeaders.apply(template, request.headers(), trusted);
            if (rules.changesRequests()) {
                rules.request(request.headers());
            }
            return request;
        });
    }

    @Override
    public Future<HttpClientRequest> create(ProxyContext context) {
        if (pool.spec().headers().host() == null) {
            return attempt(pool.spec().retries());
        }
        return attempt(pool.spec().retries()).map(created -> {
            io.vertx.core.net.HostAndPort authority = pool.spec().headers().authority(chosen,
                    io.edgestack.cluster.Authority.of(request));
            if (authority != null) { // vertx-http-proxy asks the upstream for the proxy request's authority
                context.request().setAuthority(authority);
            }
            return created;
        });
    }

    private Future<HttpClientRequest> attempt(int retriesLeft) {
        Upstream upstream = pool.pick(request, tried);
        if (upstream == null) {
            return Future.failedFuture(new NoUpstreamException(tried.isEmpty()
                    ? "no upstream of " + pool.name() + " is healthy"
                    : "every upstream tried failed"));
        }
        tried.add(upstream);
        PoolSpec spec = pool.spec();
        RequestOptions options = new RequestOptions()
                .setHost(upstream.host())
                .setPort(upstream.port())
                .setSsl(upstream.ssl())
                .setConnectTimeout(spec.connectTimeout().toMillis());
        return client.request(options).map(created -> {
            if (body != null && !body.ended()) { // from the body's end: a long upload is not the upstream's silence
                FirstByteDeadlines.Deferred firstByte = new FirstByteDeadlines.Deferred(created, spec.firstByteTimeout().toMillis());
                body.whenEnded(firstByte::start);
                created.response().onComplete(head -> firstByte.cancel());
            } else {
                FirstByteDeadlines.Watch firstByte = FirstByteDeadlines.watch(created, spec.firstByteTimeout().toMillis());
                created.response().onComplete(head -> firstByte.cancel());
            }
            // the failures reach the exchange through the response; without a handler Vert.x logs each one as an
            // error, a reset among them whenever a visitor leaves mid-answer
            created.exceptionHandler(error -> LOG.debugf("Upstream request to %s ended: %s", upstream, error));
            if (request.version() != HttpVersion.HTTP_1_0) { // no 1xx to an HTTP/1.0 client (RFC 9110 §15.2)
                created.earlyHintsHandler(this::earlyHints);
            }
            if (acceptsTrailers(request)) { // TE is hop-by-hop (the library drops it), but a proxy that passes trailers on
                created.headers().set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS); // says so (gRPC servers ask for it)
            }
            chosen = upstream;
            upstreamRequest = created;
            upstream.begin();
            onRelease.accept(upstream);
            return created;
        }).recover(error -> {
            if (upstream.passive().recordFailure()) {
                LOG.warnf("Upstream %s of %s taken out after repeated failures (last: %s)", upstream, pool.name(), error);
            }
            if (retriesLeft > 0 && idempotent(request.method())) {
                return attempt(retriesLeft - 1);
            }
            return Future.failedFuture(error);
        });
    }

    @Override
    public Future<ProxyResponse> handleProxyRequest(ProxyContext context) {
        var proxyRequest = context.request();
        forUpstream(proxyRequest.headers());
        if (proxyRequest.headers().contains(HttpHeaders.EXPECT)) {
            // as nginx: the visitor is told to go on as its body is read, and the upstream gets the body without the
            // question (it would answer a 100 of its own, which is the proxy's to send); curl and others wait a second
            // for the 100 before they send a body that asked for it
            boolean go = "100-continue".equalsIgnoreCase(proxyRequest.headers().get(HttpHeaders.EXPECT));
            proxyRequest.headers().remove(HttpHeaders.EXPECT);
            if (go && request.version() == HttpVersion.HTTP_1_1) {
                request.response().writeContinue();
            }
        }
        if (uri == null) {
            String target = upstreamUri(proxyRequest.getURI(), pool, route);
            if (!target.equals(proxyRequest.getURI())) { // the route's prefix stripped, or an absolute form made origin
                proxyRequest.setURI(target);
            }
        }
        boolean h2 = request.version() == HttpVersion.HTTP_2;
        boolean chunked = !h2 && request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (proxyRequest.getBody() != null && (length == null ? chunked || h2 : !"0".equals(length))) {
            // a body: watched for its end (the first-byte timeout starts there) and, of undeclared length (an HTTP/1.1
            // request with neither header has none; HTTP/2 does not say), capped at the limit
            body = new RequestBody(proxyRequest.getBody().stream(), length == null ? bodyLimit : 0, this::tooLarge);
            proxyRequest.setBody(Body.body(body, proxyRequest.getBody().length()));
        }
        if (h2 && proxyRequest.getBody() != null && proxyRequest.getBody().length() < 0
                && request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            // vertx-http-proxy chunks the upstream request only when the visitor's says Transfer-Encoding: chunked,
            // which HTTP/2 never does: a body of unknown length went to a request with neither a length nor chunks,
            // every write failed ("You must set the Content-Length header") and the upload hung. The header is
            // hop-by-hop, never forwarded: it only tells the library to chunk.
            request.headers().set(HttpHeaders.TRANSFER_ENCODING, "chunked");
        }
        return context.sendRequest().onFailure(error -> failure = error).map(this::transferCoding);
    }

    /** Whether the visitor said it takes trailer fields ({@code TE: trailers}), which its answer can then carry. */
    private static boolean acceptsTrailers(HttpServerRequest request) {
        String te = request.version() == HttpVersion.HTTP_1_0 ? null : request.getHeader(HttpHeaderNames.TE);
        return te != null && te.toLowerCase(java.util.Locale.ROOT).contains("trailers");
    }

    /**
     * An upstream's {@code 103 Early Hints} (RFC 8297) passed on as it comes, as Caddy does: the browser fetches what
     * its {@code Link} headers name while the upstream still works on the answer (vertx-http-proxy dropped them).
     */
    private void earlyHints(MultiMap hints) {
        HttpServerResponse out = request.response();
        if (out.headWritten() || out.closed()) {
            return;
        }
        HopByHop.strip(hints);
        out.writeEarlyHints(hints).onFailure(error -> LOG.debugf("Early hints for %s not sent: %s", request.uri(), error));
    }

    /**
     * vertx-http-proxy answers {@code 501}, empty, before any stage sees the answer, to a {@code Transfer-Encoding}
     * other than exactly {@code chunked}: an upstream's {@code Chunked} (codings are case-insensitive, and Vert.x's
     * client has read the chunks already) is named as the library expects; another coding ({@code gzip, chunked}),
     * which HTTP/2 has no way to say and HTTP/1.1 visitors need not know, is kept for {@link #handleProxyResponse} to
     * answer {@code 502}, as nginx does.
     */
    private ProxyResponse transferCoding(ProxyResponse response) {
        String coding = response.headers().get(HttpHeaders.TRANSFER_ENCODING);
        if (coding != null && !"chunked".equals(coding)) {
            if (!"chunked".equalsIgnoreCase(coding.trim())) {
                unknownCoding = coding;
            }
            response.headers().set(HttpHeaders.TRANSFER_ENCODING, "chunked");
        }
        return response;
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext context) {
        ProxyResponse response = context.response();
        if (failure != null) {
            boolean timeout = isTimeout(failure);
            if (chosen != null && timeout && chosen.passive().recordFailure()) {
                LOG.warnf("Upstream %s of %s taken out after repeated timeouts", chosen, pool.name());
            }
            response.release();
            LOG.debugf("Upstream failure for %s: %s", request.uri(), failure);
            request.response().putHeader("Proxy-Status", "edgestack-proxy; error=" + proxyError(failure));
            errorPage(timeout ? 504 : 502, timeout ? "Gateway Timeout" : "Bad Gateway",
                    timeout ? "The upstream server did not answer in time." : "The upstream server could not be reached.");
            return Future.succeededFuture();
        }
        if (unknownCoding != null) {
            response.release();
            LOG.debugf("Upstream answer for %s in transfer coding %s", request.uri(), unknownCoding);
            request.response().putHeader("Proxy-Status", "edgestack-proxy; error=http_protocol_error");
            errorPage(502, "Bad Gateway", "The upstream server answered in a transfer coding that cannot be passed on.");
            return Future.succeededFuture();
        }
        response.headers().remove(HeaderNames.REQUEST_ID);
        int status = response.getStatusCode();
        if (status != 101) {
            HopByHop.strip(response.headers());
            response.headers().remove(HttpHeaderNames.TE); // a request's field: connection-specific, malformed over HTTP/2
        }
        HeaderRules rules = pool.spec().headers();
        if (rules.changesResponses()) {
            rules.response(response.headers());
        }
        if (pool.spec().interceptErrors() && wantsHtml() && (status == 404 || (status >= 500 && status <= 504))) {
            response.release();
            errorPage(status, status == 404 ? "Not Found" : "Server Error",
                    status == 404 ? "There is nothing at this address." : "The application failed to answer this request.");
            return Future.succeededFuture();
        }
        return send(context, response);
    }

    /**
     * Sends the answer to the visitor as vertx-http-proxy's own {@code ProxyResponse.send} does (status, headers but
     * {@code Transfer-Encoding}, the body's length or chunks, the body piped, both sides reset if the pipe fails) but
     * for two headers, both passed on as they came: {@code Date}, which the library parses and formats anew with a
     * {@code DateTimeFormatter} on every answer (1.6 % of a 1 KiB proxied answer's CPU; without one the answer keeps the
     * time it was received, set by the router), and {@code Warning} (obsolete, RFC 9111), of which the library dropped
     * those whose date differs from the answer's. An answer without a body (set so by a stage) and a body of unknown
     * length to an HTTP/1.0 client, which the library buffers, are left to it, with the Date carried past it.
     */
    private Future<Void> send(ProxyContext context, ProxyResponse response) {
        Body body = response.getBody();
        long length = body == null ? -1 : body.length();
        HttpServerResponse out = context.request().proxiedRequest().response(); // its reset waits (DeferredResetRequest)
        siteCacheControl(response, out);
        if (body == null || length < 0 && request.version() == HttpVersion.HTTP_1_0) {
            String date = response.headers().get(HttpHeaders.DATE);
            if (date == null) {
                date = out.headers().get(HttpHeaders.DATE); // the time the answer was received (RFC 9110 §6.6.1)
            }
            if (date != null) {
                out.headers().set(DATE_CARRIER, date); // else the library's own would stay
            }
            return context.sendResponse();
        }
        int status = response.getStatusCode();
        out.setStatusCode(status);
        String reason = response.getStatusMessage();
        if (reason != null && !reason.equals(HttpResponseStatus.valueOf(status).reasonPhrase())) {
            // an unusual reason phrase is passed on; the usual one is already the status's own (setting it anew would
            // build a new status line for every answer)
            out.setStatusMessage(reason);
        }
        MultiMap headers = out.headers();
        for (Map.Entry<String, String> header : response.headers()) {
            String name = header.getKey();
            if (HttpHeaderNames.DATE.contentEqualsIgnoreCase(name)) {
                headers.set(HttpHeaders.DATE, header.getValue()); // in place of the time it was received
            } else if (!HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)) {
                headers.add(name, header.getValue());
            }
        }
        if (length >= 0 && request.version() == HttpVersion.HTTP_1_1 && pool.h2c() && acceptsTrailers(request)) {
            // an HTTP/2 answer may end with trailers whatever its length (gRPC's status): to a visitor that takes them
            // (the tunnel's connector, in HTTP/1.1), only a chunked answer can carry them
            headers.remove(HttpHeaders.CONTENT_LENGTH);
            length = -1;
        }
        if (length >= 0) {
            headers.set(HttpHeaders.CONTENT_LENGTH, Long.toString(length));
        } else {
            out.setChunked(true);
        }
        if ((length < 0 || length >= CARRIED_FROM) && status != 101
                && body.stream() instanceof HttpClientResponse upstream) {
            // the body as the upstream sent it, read by nothing else (a cache stage that stores it reads a copy)
            UpstreamBodies.carry(upstream, out, request.connection()); // if carried, the pipe below moves empty pieces
        }
        Pipe<Buffer> pipe = body.stream().pipe();
        boolean trailers = body.stream() instanceof HttpClientResponse && (length < 0 || request.version() == HttpVersion.HTTP_2);
        pipe.endOnSuccess(!trailers);
        pipe.endOnFailure(false);
        Future<Void> sent = pipe.to(out);
        if (trailers) { // the upstream's trailers are known once its body has ended
            HttpClientResponse upstream = (HttpClientResponse) body.stream();
            sent = sent.compose(done -> {
                MultiMap fields = upstream.trailers();
                if (!fields.isEmpty()) { // as Caddy passes them on (gRPC's grpc-status and grpc-message come there)
                    TrailerFields.copy(fields, out.trailers());
                }
                return out.end();
            });
        }
        return sent.andThen(result -> {
            if (result.failed()) {
                if (upstreamRequest != null) {
                    upstreamRequest.reset();
                }
                out.reset();
            }
        });
    }

    /**
     * The site's {@code Cache-Control} rule for the visitor's path, on an answer whose upstream set none (issue 3: the
     * rules apply "when the origin sets none", as to static files). Only successful and {@code 304} answers get it (a
     * rule of a year for hashed assets must not make an error cacheable), and only on the way to the visitor: the edge
     * cache stores and judges the answer by the upstream's own headers.
     */
    private void siteCacheControl(ProxyResponse response, HttpServerResponse out) {
        int status = response.getStatusCode();
        if ((status >= 200 && status < 300 || status == 304) && !response.headers().contains(HttpHeaderNames.CACHE_CONTROL)) {
            String rule = site.cacheControlFor(request.path());
            if (rule != null) {
                out.headers().set(HttpHeaderNames.CACHE_CONTROL, rule);
            }
        }
    }

    private void tooLarge() {
        LOG.debugf("Request body of %s passed %d bytes: refused", request.uri(), bodyLimit);
        // The rest of the body is not read. HTTP/1.x: the connection cannot carry another request, so it closes once
        // answered. HTTP/2: the answer ends this stream only; the connection and its other streams carry on, and no
        // connection header is sent (malformed there: clients refused the whole answer).
        ConnectionClose.answer(request, () ->
                ErrorPages.send(request, 413, "Content Too Large", "The request body is larger than " + bodyLimit + " bytes.", null));
    }

    private void errorPage(int status, String title, String detail) {
        ErrorPages.sendSitePage(vertx, files, request, site.name(), status, title, detail);
    }

    private boolean wantsHtml() {
        String accept = request.getHeader(HttpHeaders.ACCEPT);
        return accept == null || accept.contains("text/html") || accept.contains("*/*") && !accept.contains("json");
    }

    /**
     * The RFC 9209 error type of a failed upstream exchange, sent in {@code Proxy-Status} so that a client (monitor-service
     * among them) can tell the origin's failure from the proxy's own.
     */
    static String proxyError(Throwable error) {
        if (error instanceof NoUpstreamException) {
            return "destination_unavailable";
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof io.netty.channel.ConnectTimeoutException) {
                return "connection_timeout";
            }
            if (t instanceof java.net.ConnectException) {
                return "connection_refused";
            }
            if (t instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
                return "http_response_header_section_size"; // over SiteRegistry.UPSTREAM_MAX_HEADER_SIZE
            }
            if (t instanceof io.netty.handler.codec.DecoderException || t instanceof IllegalArgumentException) {
                return "http_protocol_error"; // Netty's decoder: a status line or Content-Length it cannot read
            }
        }
        return isTimeout(error) ? "http_response_timeout" : "connection_terminated";
    }

    static boolean isTimeout(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            String name = t.getClass().getSimpleName();
            if (name.contains("Timeout")) {
                return true;
            }
            if (t.getMessage() != null && t.getMessage().contains("timeout period")) {
                return true;
            }
        }
        return false;
    }

    static boolean idempotent(HttpMethod method) {
        return method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS
                || method == HttpMethod.PUT || method == HttpMethod.DELETE || method == HttpMethod.TRACE;
    }

    /** No upstream could take the request. */
    static final class NoUpstreamException extends RuntimeException {
        NoUpstreamException(String message) {
            super(message, null, false, false);
        }
    }
}
