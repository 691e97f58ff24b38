package io.edgestack.proxy.cache;

import org.jboss.logging.Logger;

import io.edgestack.proxy.files.ByteRange;
import io.edgestack.proxy.files.Conditional;
import io.edgestack.cluster.Authority;
import io.edgestack.proxy.http.HeaderNames;
import io.edgestack.proxy.site.EdgeCache;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;

/**
 * The cache stage of one request, an interceptor in front of the upstream: answers fresh hits (and stale ones within
 * stale-while-revalidate, refreshing them in the background), revalidates expired entries with a conditional request,
 * falls back to the stored copy when the origin fails (stale-if-error, the site's stale-when-down window), collapses
 * concurrent misses into one origin request, and stores what may be stored as it streams to the client. Every answer
 * carries {@code Cache-Status} (RFC 9211), {@code X-Cache} and, from the cache, {@code Age}.
 */
public final class CacheStage implements ProxyInterceptor {

    private static final Logger LOG = Logger.getLogger(CacheStage.class);
    private static final String NAME = "edgestack";
    private static final AsciiString HIT = AsciiString.cached(HttpCache.Outcome.HIT.name());

    private final HttpCache cache;
    private final HttpServerRequest request;
    private final EdgeCache settings;
    private final String primary;
    private BackgroundRefresh refresh;

    private HttpCache.Outcome outcome = HttpCache.Outcome.MISS;
    private String fwd;
    private int fwdStatus;
    private boolean collapsed;
    private boolean stored;
    private String detail;
    private CachedResponse answer;
    private CachedResponse expired;
    private boolean leader;
    private boolean originAnswered;
    private long requestTime;
    private long fetchedAt;

    /** @param host the request's host as {@link Authority#of} gives it (null when it names none) */
    public CacheStage(HttpCache cache, HttpServerRequest request, EdgeCache settings, String scheme, String host,
            BackgroundRefresh refresh) {
        this.cache = cache;
        this.request = request;
        this.settings = settings;
        this.refresh = refresh;
        this.primary = CacheKeys.primary(scheme, host == null ? "" : host, request.path(), request.query(),
                settings.ignoreQuery());
    }

    /** How stale entries within stale-while-revalidate are refreshed (set before the stage joins an exchange). */
    public void refreshWith(BackgroundRefresh refresh) {
        this.refresh = refresh;
    }

    /** Called when the exchange is over, however it ended: a miss that led a fetch lets the waiting ones go. */
    public void finish() {
        if (leader) {
            leader = false;
            cache.release(primary);
        }
    }

    /**
     * Answers a fresh hit held in memory straight from the event loop, without setting up the proxy exchange (the
     * common case, kept short). False when the request needs the full stage: bypass, miss, stale, or on disk only.
     */
    public boolean answerFreshHit() {
        if (CachePolicy.bypassReason(request, settings) != null) {
            return false;
        }
        CachedResponse entry = cache.inMemory(primary, request);
        long now = System.currentTimeMillis();
        if (entry == null || !entry.fresh(now)) {
            return false;
        }
        outcome = HttpCache.Outcome.HIT;
        answer = entry;
        cache.count(outcome);
        HttpServerResponse response = request.response();
        int status = answerStatus(entry);
        MultiMap headers = response.headers();
        entry.hitHeaders().addTo(headers);
        headers.add(HeaderNames.AGE, String.valueOf(Math.max(0, entry.currentAgeMs(now) / 1000)));
        headers.add(HeaderNames.CACHE_STATUS, cacheStatus(now));
        headers.add(HeaderNames.X_CACHE, HIT);
        response.setStatusCode(status);
        if (status == 304) {
            response.end();
        } else if (status == 412) {
            headers.set(HttpHeaderNames.CONTENT_LENGTH, "0").remove(HttpHeaderNames.CONTENT_TYPE);
            response.end();
        } else if (request.method() == HttpMethod.HEAD) {
            headers.add(HeaderNames.CONTENT_LENGTH, String.valueOf(entry.body().length()));
            response.end();
        } else if (status == 200 && request.getHeader(HttpHeaderNames.RANGE) != null) {
            answerRange(response, entry);
        } else {
            response.end(entry.body());
        }
        return true;
    }

    /**
     * A Range request answered from a stored 200, as a file server would: one range → 206 with its part, several →
     * 206 {@code multipart/byteranges}, a range past the end → 416, another unit, an If-Range that no longer matches
     * or ranges that overlap → the whole body (RFC 9110 §14.2 lets a server ignore Range).
     */
    private void answerRange(HttpServerResponse response, CachedResponse entry) {
        Buffer body = entry.body();
        int size = body.length();
        ByteRange.Request asked = Conditional.rangeApplies(request, entry.etag(), entry.lastModified())
                ? ByteRange.parse(request.getHeader(HttpHeaderNames.RANGE), size)
                : new ByteRange.Whole();
        if (asked instanceof ByteRange.Part part) {
            ByteRange range = part.range();
            response.setStatusCode(206).putHeader(HttpHeaderNames.CONTENT_RANGE,
                    "bytes " + range.start() + "-" + range.end() + "/" + size);
            response.end(body.slice((int) range.start(), (int) range.end() + 1));
        } else if (asked instanceof ByteRange.Parts parts) {
            new io.edgestack.proxy.files.MultipartRanges(parts.ranges(), response.headers().get(HttpHeaderNames.CONTENT_TYPE), size)
                    .send(response, body);
        } else if (asked instanceof ByteRange.Unsatisfiable) {
            response.setStatusCode(416).putHeader(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size).end();
        } else {
            response.end(body);
        }
    }

    /**
     * 412 when the request's preconditions fail on a stored 200 ({@code If-Match}, {@code If-Unmodified-Since}), 304
     * when its validators match one, else the stored status.
     */
    private int answerStatus(CachedResponse entry) {
        if (entry.status() == 200 && (request.getHeader(HttpHeaders.IF_MATCH) != null
                || request.getHeader(io.netty.handler.codec.http.HttpHeaderNames.IF_UNMODIFIED_SINCE) != null)
                && io.edgestack.proxy.files.Conditional.preconditionFailed(request, entry.etag(),
                        entry.lastModified() == null ? -1 : io.edgestack.proxy.http.HttpDate.parse(entry.lastModified()))) {
            return 412;
        }
        String ifNoneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
        boolean notModified = entry.matches(ifNoneMatch, ifNoneMatch == null ? request.getHeader(HttpHeaders.IF_MODIFIED_SINCE) : null);
        return notModified && entry.status() == 200 ? 304 : entry.status();
    }

    @Override
    public Future<ProxyResponse> handleProxyRequest(ProxyContext context) {
        String bypass = CachePolicy.bypassReason(request, settings);
        if (bypass != null) {
            outcome = HttpCache.Outcome.BYPASS;
            fwd = "bypass";
            detail = bypass;
            return context.sendRequest().map(this::fromOrigin);
        }
        return lookup(context, true);
    }

    private Future<ProxyResponse> lookup(ProxyContext context, boolean mayWait) {
        return cache.lookup(primary, request).compose(entry -> decide(context, entry, mayWait));
    }

    private Future<ProxyResponse> decide(ProxyContext context, CachedResponse entry, boolean mayWait) {
        long now = System.currentTimeMillis();
        if (entry != null) {
            if (entry.fresh(now)) {
                return fromCache(context, entry, HttpCache.Outcome.HIT, null);
            }
            long staleFor = -entry.ttlMs(now);
            if (!entry.mustRevalidate() && !entry.noCache() && staleFor <= entry.staleWhileRevalidateMs()) {
                refresh.start(request, entry, primary, cache, settings);
                return fromCache(context, entry, HttpCache.Outcome.STALE, "stale-while-revalidate");
            }
            expired = entry;
            fwd = "stale";
            MultiMap headers = context.request().headers();
            headers.remove("If-None-Match");
            headers.remove("If-Modified-Since");
            headers.remove("If-Range");
            headers.remove("Range");
            if (entry.etag() != null) {
                headers.set("If-None-Match", entry.etag());
            }
            if (entry.lastModified() != null) {
                headers.set("If-Modified-Since", entry.lastModified());
            }
            return forward(context);
        }
        if (fwd == null) {
            fwd = cache.knows(primary) ? "vary-miss" : "uri-miss";
        }
        if (mayWait && request.method() == HttpMethod.GET) {
            var theirs = cache.claim(primary);
            if (theirs != null) {
                collapsed = true;
                return theirs.future().timeout(cache.collapseWait().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .transform(done -> lookup(context, false));
            }
            leader = true;
        }
        return forward(context);
    }

    private Future<ProxyResponse> forward(ProxyContext context) {
        requestTime = System.currentTimeMillis();
        fetchedAt = cache.generation();
        return context.sendRequest().map(this::fromOrigin).recover(error -> {
            if (expired != null && staleUsable(expired, System.currentTimeMillis())) {
                fwdStatus = error.getClass().getSimpleName().contains("Timeout") ? 504 : 502;
                cache.countRevalidation("error");
                return fromCache(context, expired, HttpCache.Outcome.STALE, "origin-unreachable");
            }
            finish();
            return Future.failedFuture(error);
        });
    }

    private ProxyResponse fromOrigin(ProxyResponse response) {
        originAnswered = true;
        return response;
    }

    private Future<ProxyResponse> fromCache(ProxyContext context, CachedResponse entry, HttpCache.Outcome served,
            String why) {
        outcome = served;
        answer = entry;
        detail = why;
        ProxyResponse response = context.request().response();
        fill(response, entry);
        return Future.succeededFuture(response);
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext context) {
        ProxyResponse response = context.response();
        long now = System.currentTimeMillis();
        if (answer == null && originAnswered) {
            int status = response.getStatusCode();
            if (expired != null) {
                fwdStatus = status;
                if (status == 304) {
                    CachedResponse refreshed = CachePolicy.refreshed(expired, copyOf(response.headers()), requestTime,
                            now, settings);
                    cache.put(refreshed, request, fetchedAt);
                    cache.countRevalidation("not-modified");
                    response.release();
                    outcome = HttpCache.Outcome.REVALIDATED;
                    answer = refreshed;
                    fill(response, refreshed);
                } else if (status >= 500 && staleUsable(expired, now)) {
                    cache.countRevalidation("error");
                    response.release();
                    outcome = HttpCache.Outcome.STALE;
                    detail = "origin-error";
                    answer = expired;
                    fill(response, expired);
                } else {
                    cache.countRevalidation("modified");
                    outcome = HttpCache.Outcome.EXPIRED;
                    store(response, now);
                }
            } else if (outcome != HttpCache.Outcome.BYPASS) {
                fwdStatus = status;
                outcome = HttpCache.Outcome.MISS;
                store(response, now);
            } else {
                fwdStatus = status;
            }
        }
        if (!leader || !stored) {
            finish();
        }
        cache.count(outcome);
        response.headers().remove("Cache-Tag");
        response.headers().remove("Surrogate-Key");
        response.putHeader("Cache-Status", cacheStatus(now));
        response.putHeader("X-Cache", outcome.name());
        return context.sendResponse();
    }

    /**
     * A copy of an origin answer's headers as they came, Date included (a stored response keeps the Date it was
     * generated at, RFC 9110 §6.6.1): the stages after this one change the answer's own.
     */
    private static MultiMap copyOf(MultiMap headers) {
        return MultiMap.caseInsensitiveMultiMap().addAll(headers);
    }

    /** Tees the body into the cache when the response may be stored and is not too large. */
    private void store(ProxyResponse response, long now) {
        if (request.method() != HttpMethod.GET) {
            return;
        }
        int status = response.getStatusCode();
        MultiMap headers = copyOf(response.headers());
        if (CachePolicy.entry(primary, status, headers, Buffer.buffer(), requestTime, now, settings) == null) {
            return;
        }
        Body body = response.getBody();
        long declared = body == null ? 0 : body.length();
        if (body == null || declared > cache.maxObjectSize()) {
            return;
        }
        long fetched = fetchedAt;
        stored = true;
        response.setBody(Body.body(new TeeBody(body.stream(), cache.maxObjectSize(), copy -> {
            if (declared < 0 || copy.length() == declared) {
                CachedResponse entry = CachePolicy.entry(primary, status, headers, offHeap(copy), requestTime, now, settings);
                if (entry != null && !cache.put(entry, request, fetched)) {
                    LOG.debugf("Not stored %s: purged while it was fetched", primary);
                }
            }
            finish();
        }), declared));
    }

    /** Stored bodies live off-heap: written to sockets without a copy, and shared by every answer that sends them. */
    static Buffer offHeap(Buffer body) {
        return Buffer.buffer(io.netty.buffer.Unpooled.unreleasableBuffer(
                io.netty.buffer.Unpooled.directBuffer(body.length()).writeBytes(body.getBytes())));
    }

    private boolean staleUsable(CachedResponse entry, long now) {
        long staleFor = -entry.ttlMs(now);
        if (!settings.staleWhenDown().isZero() && staleFor <= settings.staleWhenDown().toMillis()) {
            return true; // the operator's "always online" window
        }
        return !entry.mustRevalidate() && staleFor <= entry.staleIfErrorMs();
    }

    private void fill(ProxyResponse response, CachedResponse entry) {
        long now = System.currentTimeMillis();
        int status = answerStatus(entry);
        response.setStatusCode(status);
        response.setStatusMessage(HttpResponseStatus.valueOf(status).reasonPhrase());
        response.headers().clear();
        response.headers().addAll(entry.headers());
        response.headers().set("Age", String.valueOf(Math.max(0, entry.currentAgeMs(now) / 1000)));
        if (status == 304) {
            response.headers().remove("Content-Length");
            response.setBody(null);
        } else if (status == 412) {
            response.headers().remove("Content-Length").remove("Content-Type");
            response.setBody(Body.body(io.vertx.core.buffer.Buffer.buffer()));
        } else if (request.method() == HttpMethod.HEAD) {
            response.headers().set("Content-Length", String.valueOf(entry.body().length()));
            response.setBody(null);
        } else {
            response.headers().remove("Content-Length");
            response.setBody(Body.body(entry.body()));
        }
    }

    private String cacheStatus(long now) {
        StringBuilder value = new StringBuilder(NAME);
        if (outcome == HttpCache.Outcome.HIT || outcome == HttpCache.Outcome.STALE && fwdStatus == 0) {
            value.append("; hit");
        } else {
            value.append("; fwd=").append(fwd == null ? "miss" : fwd);
            if (fwdStatus > 0) {
                value.append("; fwd-status=").append(fwdStatus);
            }
        }
        if (stored) {
            value.append("; stored");
        }
        if (collapsed) {
            value.append("; collapsed");
        }
        if (answer != null) {
            value.append("; ttl=").append(answer.ttlMs(now) / 1000);
        }
        if (detail != null) {
            value.append("; detail=").append(detail);
        }
        return value.toString();
    }
}
