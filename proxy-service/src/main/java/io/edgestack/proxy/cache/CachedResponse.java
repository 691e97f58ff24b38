package io.edgestack.proxy.cache;

import java.util.List;
import java.util.Set;

import io.edgestack.proxy.http.HttpDate;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * A stored response and what its freshness is computed from (RFC 9111 §4.2). Immutable: a revalidation stores a new
 * one with the merged headers and the new times.
 *
 * @param primaryKey scheme, host, path and normalised query (what URL and prefix purges match)
 * @param requestTime when the request that fetched it was sent (ms since the epoch)
 * @param responseTime when its response arrived
 * @param dateValue the response's Date (ms), or the response time when it had none
 * @param ageValue the response's Age (s), 0 when none
 * @param lifetimeMs freshness lifetime (s-maxage, max-age, Expires - Date, or the site's default TTL)
 * @param staleWhileRevalidateMs how long after expiry it may be served while it is refreshed in the background
 * @param staleIfErrorMs how long after expiry it may be served when the origin fails
 * @param mustRevalidate no stale answer once expired, unless the operator's stale-when-down window says so
 * @param noCache stored, but revalidated before every use
 * @param hitHeaders the headers as a fresh hit sends them, prepared from {@code headers}
 */
record CachedResponse(String primaryKey, int status, MultiMap headers, Buffer body, long requestTime, long responseTime,
        long dateValue, long ageValue, long lifetimeMs, long staleWhileRevalidateMs, long staleIfErrorMs,
        boolean mustRevalidate, boolean noCache, List<String> varyNames, Set<String> tags, HitHeaders hitHeaders) {

    CachedResponse(String primaryKey, int status, MultiMap headers, Buffer body, long requestTime, long responseTime,
            long dateValue, long ageValue, long lifetimeMs, long staleWhileRevalidateMs, long staleIfErrorMs,
            boolean mustRevalidate, boolean noCache, List<String> varyNames, Set<String> tags) {
        this(primaryKey, status, headers, body, requestTime, responseTime, dateValue, ageValue, lifetimeMs,
                staleWhileRevalidateMs, staleIfErrorMs, mustRevalidate, noCache, varyNames, tags, HitHeaders.of(headers));
    }

    /**
     * current_age of RFC 9111 §4.2.3, in ms. A Date has one-second resolution, so the apparent age is counted in whole
     * seconds (the response time's second less the Date's): else an answer made at 12:00:00.990 and stored at once
     * would start 990 ms old, and with max-age=1 be stale 10 ms later.
     */
    long currentAgeMs(long now) {
        long apparentAge = Math.max(0, responseTime - responseTime % 1000 - dateValue);
        long correctedAge = ageValue * 1000 + (responseTime - requestTime);
        return Math.max(apparentAge, correctedAge) + (now - responseTime);
    }

    /** Remaining freshness in ms: negative once stale. */
    long ttlMs(long now) {
        return lifetimeMs - currentAgeMs(now);
    }

    boolean fresh(long now) {
        return !noCache && ttlMs(now) > 0;
    }

    String etag() {
        return headers.get("ETag");
    }

    String lastModified() {
        return headers.get("Last-Modified");
    }

    /** Bytes held, for the memory bound. */
    int weight() {
        int size = 512 + body.length() + primaryKey.length() * 2;
        for (var header : headers) {
            size += header.getKey().length() + header.getValue().length() + 32;
        }
        return size;
    }

    /** Whether it can stand for a request with conditional headers: the answer is 304 then. */
    boolean matches(String ifNoneMatch, String ifModifiedSince) {
        if (ifNoneMatch == null && ifModifiedSince == null) {
            return false; // the common case, decided without looking into the stored headers
        }
        if (ifNoneMatch != null) {
            String etag = etag();
            if (etag == null) {
                return false;
            }
            String opaque = etag.startsWith("W/") ? etag.substring(2) : etag;
            for (String candidate : ifNoneMatch.split(",")) {
                String value = candidate.trim();
                if (value.equals("*") || (value.startsWith("W/") ? value.substring(2) : value).equals(opaque)) {
                    return true;
                }
            }
            return false;
        }
        if (ifModifiedSince != null && lastModified() != null) {
            long since = HttpDate.parse(ifModifiedSince);
            long modified = HttpDate.parse(lastModified());
            return since >= 0 && modified >= 0 && modified <= since;
        }
        return false;
    }
}
