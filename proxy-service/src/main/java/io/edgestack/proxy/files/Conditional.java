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
