package io.edgestack.proxy.cache;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import io.edgestack.proxy.http.HttpDate;
import io.edgestack.proxy.site.EdgeCache;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;

/**
 * The rules of RFC 9111 for a shared cache: which requests it may answer, which responses it may store, and for how
 * long they stay fresh.
 */
final class CachePolicy {

    /** Statuses that may be stored without explicit freshness (RFC 9110 §15.1), with the site's default TTL. */
    private static final Set<Integer> CACHEABLE_BY_DEFAULT = Set.of(200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501);

    /** Not stored: hop-by-hop headers, per-response ones, and what the cache adds itself. */
    private static final Set<String> NOT_STORED = Set.of("connection", "keep-alive", "transfer-encoding", "te", "trailer",
            "upgrade", "proxy-authenticate", "proxy-authorization", "proxy-connection", "age", "set-cookie",
            "x-request-id", "cache-status", "x-cache", "date");

    private CachePolicy() {
    }

    /** Why the cache must not answer this request (RFC 9211 {@code fwd=bypass}), or null when it may. */
    static String bypassReason(HttpServerRequest request, EdgeCache settings) {
        HttpMethod method = request.method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            return "method";
        }
        if (request.headers().contains("Authorization")) {
            return "authorization";
        }
        if (request.headers().contains("Upgrade")) {
            return "upgrade";
        }
        if (!settings.bypassCookies().isEmpty()) {
            for (String cookie : request.headers().getAll("Cookie")) {
                for (String pair : cookie.split(";")) {
                    int eq = pair.indexOf('=');
                    String name = (eq < 0 ? pair : pair.substring(0, eq)).trim();
                    if (CacheKeys.matchesAny(name, settings.bypassCookies())) {
                        return "cookie";
                    }
                }
            }
        }
        String cacheControl = request.getHeader(HttpHeaders.CACHE_CONTROL);
        if (cacheControl != null && Directives.parse(request.headers().getAll("Cache-Control")).has("no-store")) {
            return "no-store";
        }
        return null;
    }

    /**
     * The entry to keep for a response, or null when it may not be stored.
     *
     * @param requestHeaders what the client asked with (for Vary)
     */
    static CachedResponse entry(String primaryKey, int status, MultiMap headers, Buffer body, long requestTime,
            long responseTime, EdgeCache settings) {
        if (status < 200 || status == 206 || status == 304 || status >= 500 && status != 501) {
            return null; // server errors are never stored, whatever they say: an outage must not outlive itself
        }
        Directives cc = Directives.parse(headers.getAll("Cache-Control"));
        if (cc.has("no-store") || cc.has("private")) {
            return null;
        }
        if (headers.contains("Set-Cookie") && !settings.storeSetCookie()) {
            return null;
        }
        List<String> vary = varyNames(headers);
        if (vary == null) {
            return null; // Vary: *
        }
        long dateValue = HttpDate.parse(headers.get("Date"));
        if (dateValue < 0) {
            dateValue = responseTime;
        }
        long lifetime = lifetimeMs(cc, headers, dateValue, status, settings);
        boolean validators = headers.contains("ETag") || headers.contains("Last-Modified");
        boolean noCache = cc.has("no-cache");
        long swr = Math.max(0, cc.seconds("stale-while-revalidate")) * 1000;
        long sie = Math.max(0, cc.seconds("stale-if-error")) * 1000;
        if (lifetime < 0 || (lifetime == 0 || noCache) && !validators && swr == 0 && sie == 0) {
            return null; // nothing says it may be reused, or it could never be revalidated
        }
        long age = Math.max(0, parseLong(headers.get("Age")));
        MultiMap stored = MultiMap.caseInsensitiveMultiMap();
        for (var header : headers) {
            if (!NOT_STORED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                stored.add(header.getKey(), header.getValue());
            }
        }
        // RFC 9110 §6.6.1: an answer stored without a Date gets the time it was received
        stored.set("Date", headers.contains("Date") ? headers.get("Date") : HttpDate.format(responseTime));
        return new CachedResponse(primaryKey, status, stored, body, requestTime, responseTime, dateValue, age, lifetime,
                swr, sie, cc.has("must-revalidate") || cc.has("proxy-revalidate") || cc.has("s-maxage"), noCache, vary,
                tags(headers));
    }

    /** The entry after a 304: the stored one with the 304's headers merged in and new times (RFC 9111 §4.3.4). */
    static CachedResponse refreshed(CachedResponse old, MultiMap notModified, long requestTime, long responseTime,
            EdgeCache settings) {
        MultiMap merged = MultiMap.caseInsensitiveMultiMap().addAll(old.headers());
        for (String name : notModified.names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!NOT_STORED.contains(lower) && !lower.equals("content-length") && !lower.equals("content-encoding")) {
                merged.remove(name);
                merged.add(name, notModified.getAll(name));
            }
        }
        if (notModified.contains("Date")) {
            merged.set("Date", notModified.get("Date"));
        } else {
            merged.remove("Date");
        }
        if (notModified.contains("Age")) {
            merged.set("Age", notModified.get("Age"));
        }
        CachedResponse fresh = entry(old.primaryKey(), old.status(), merged, old.body(), requestTime, responseTime, settings);
        return fresh != null ? fresh : old;
    }

    private static long lifetimeMs(Directives cc, MultiMap headers, long dateValue, int status, EdgeCache settings) {
        long sMaxAge = cc.seconds("s-maxage");
        if (sMaxAge >= 0) {
            return sMaxAge * 1000;
        }
        long maxAge = cc.seconds("max-age");
        if (maxAge >= 0) {
            return maxAge * 1000;
        }
        String expires = headers.get("Expires");
        if (expires != null) {
            long at = HttpDate.parse(expires);
            return at < 0 ? 0 : Math.max(0, at - dateValue); // an invalid Expires means already expired
        }
        if (CACHEABLE_BY_DEFAULT.contains(status) && (!settings.defaultTtl().isZero() || cc.has("public"))) {
            return settings.defaultTtl().toMillis();
        }
        return cc.has("no-cache") || cc.has("must-revalidate") ? 0 : -1;
    }

    /** Lower-cased header names of Vary, or null for {@code Vary: *}. */
    private static List<String> varyNames(MultiMap headers) {
        Set<String> names = new LinkedHashSet<>();
        for (String vary : headers.getAll("Vary")) {
            for (String name : vary.split(",")) {
                String trimmed = name.trim().toLowerCase(Locale.ROOT);
                if (trimmed.equals("*")) {
                    return null;
                }
                if (!trimmed.isEmpty()) {
                    names.add(trimmed);
                }
            }
        }
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(null);
        return List.copyOf(sorted);
    }

    /** Purge tags from Cache-Tag (comma-separated) and Surrogate-Key (space-separated). */
    static Set<String> tags(MultiMap headers) {
        Set<String> tags = new LinkedHashSet<>();
        for (String header : new String[] {"Cache-Tag", "Surrogate-Key"}) {
            for (String value : headers.getAll(header)) {
                for (String tag : value.split("[,\\s]+")) {
                    if (!tag.isBlank()) {
                        tags.add(tag.trim());
                    }
                }
            }
        }
        return Set.copyOf(tags);
    }

    private static long parseLong(String value) {
        if (value == null) {
            return 0;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
