package io.edgestack.proxy.files;

import io.edgestack.proxy.http.HttpDate;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * Conditional request evaluation for GET/HEAD (RFC 9110 §13): If-None-Match before If-Modified-Since, and If-Range.
 */
public final class Conditional {

    private Conditional() {
    }

    /**
     * Whether the request's preconditions fail (RFC 9110 §13.2.2, answered {@code 412} before anything else is
     * decided): an {@code If-Match} none of whose entity tags is the representation's, compared strongly (a weak tag
     * never matches; {@code *} matches any representation), or, without {@code If-Match}, an
     * {@code If-Unmodified-Since} older than its last modification. As nginx and Go's file server (Caddy) answer them;
     * a client resuming a download with {@code If-Match} learns the file changed instead of getting a mix.
     * {@code modifiedMillis} below 0: not known. Two header look-ups for a request that has neither.
     */
    public static boolean preconditionFailed(HttpServerRequest request, String etag, long modifiedMillis) {
        String ifMatch = request.getHeader(HttpHeaders.IF_MATCH);
        if (ifMatch != null) {
            String opaque = etag == null ? null : opaque(etag);
            for (String candidate : ifMatch.split(",")) {
                String value = candidate.trim();
                if (value.equals("*") && etag != null || !value.startsWith("W/") && value.equals(opaque)) {
                    return false;
                }
            }
            return true;
        }
        String ifUnmodifiedSince = request.getHeader(io.netty.handler.codec.http.HttpHeaderNames.IF_UNMODIFIED_SINCE);
        if (ifUnmodifiedSince != null && modifiedMillis >= 0) {
            long since = HttpDate.parse(ifUnmodifiedSince);
            return since >= 0 && modifiedMillis / 1000 > since / 1000; // an unreadable date is ignored (§13.1.4)
        }
        return false;
    }

    static boolean notModified(HttpServerRequest request, String etag, long modifiedMillis) {
        String ifNoneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            return matchesAny(ifNoneMatch, etag);
        }
        long since = HttpDate.parse(request.getHeader(HttpHeaders.IF_MODIFIED_SINCE));
        return since >= 0 && modifiedMillis / 1000 <= since / 1000;
    }

    /**
     * Whether a Range header should be honoured: no If-Range, or an If-Range that still matches (an entity tag compared
     * strongly, so a weak one never matches; a date equal to Last-Modified).
     */
    public static boolean rangeApplies(HttpServerRequest request, String etag, String lastModified) {
        String ifRange = request.getHeader(io.netty.handler.codec.http.HttpHeaderNames.IF_RANGE);
        if (ifRange == null) {
            return true;
        }
        String value = ifRange.trim();
        return value.startsWith("\"") ? value.equals(etag) : value.equals(lastModified);
    }

    /** Weak comparison, as If-None-Match requires. */
    static boolean matchesAny(String header, String etag) {
        String opaque = opaque(etag);
        for (String candidate : header.split(",")) {
            String value = candidate.trim();
            if (value.equals("*") || opaque(value).equals(opaque)) {
                return true;
            }
        }
        return false;
    }

    private static String opaque(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }
}
