package io.edgestack.proxy.cache;

import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

import org.jboss.logging.Logger;

import io.edgestack.proxy.site.EdgeCache;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerRequest;

/**
 * Refreshes a stale entry from the origin while the stale copy is being served (stale-while-revalidate): one
 * conditional request per key at a time, outside of any client's exchange. A body without a length, or larger than
 * the object limit, is not stored.
 */
public final class BackgroundRefresh {

    private static final Logger LOG = Logger.getLogger(BackgroundRefresh.class);
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "transfer-encoding", "te",
            "trailer", "upgrade", "proxy-authorization", "proxy-connection", "if-none-match", "if-modified-since",
            "if-range", "range", "content-length", "host");

    private final Function<HttpServerRequest, Future<HttpClientRequest>> origin;

    /** @param origin opens a request to an upstream of the route, with the forwarding headers set */
    public BackgroundRefresh(Function<HttpServerRequest, Future<HttpClientRequest>> origin) {
        this.origin = origin;
    }

    void start(HttpServerRequest request, CachedResponse entry, String primary, HttpCache cache, EdgeCache settings) {
        if (cache.claim(primary) != null) {
            return; // a fetch for this key is already under way
        }
        long fetchedAt = cache.generation();
        long requestTime = System.currentTimeMillis();
        origin.apply(request).compose(upstream -> {
            request.headers().forEach(header -> {
                if (!NOT_FORWARDED.contains(header.getKey().toLowerCase(Locale.ROOT)) && !upstream.headers().contains(header.getKey())) {
                    upstream.headers().add(header.getKey(), header.getValue());
                }
            });
            if (entry.etag() != null) {
                upstream.putHeader("If-None-Match", entry.etag());
            }
            if (entry.lastModified() != null) {
                upstream.putHeader("If-Modified-Since", entry.lastModified());
            }
            return upstream.send();
        }).compose(response -> read(response, cache)).onComplete(result -> {
            long now = System.currentTimeMillis();
            if (result.succeeded() && result.result() != null) {
                Fetched fetched = result.result();
                CachedResponse next = fetched.response().statusCode() == 304
                        ? CachePolicy.refreshed(entry, fetched.response().headers(), requestTime, now, settings)
                        : CachePolicy.entry(primary, fetched.response().statusCode(), fetched.response().headers(),
                                fetched.body(), requestTime, now, settings);
                if (next != null) {
                    cache.put(next, request, fetchedAt);
                }
                cache.countRevalidation(fetched.response().statusCode() == 304 ? "not-modified" : "modified");
            } else if (result.failed()) {
                cache.countRevalidation("error");
                LOG.debugf("Background refresh of %s failed: %s", primary, result.cause());
            }
            cache.release(primary);
        });
    }

    private record Fetched(HttpClientResponse response, io.vertx.core.buffer.Buffer body) {
    }

    private static Future<Fetched> read(HttpClientResponse response, HttpCache cache) {
        if (response.statusCode() == 304) {
            return response.end().map(v -> new Fetched(response, null));
        }
        String length = response.getHeader("Content-Length");
        long declared;
        try {
            declared = length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            declared = -1;
        }
        if (declared < 0 || declared > cache.maxObjectSize()) {
            response.request().reset();
            return Future.succeededFuture(null);
        }
        return response.body().map(body -> new Fetched(response, body));
    }
}
