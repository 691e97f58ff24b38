package io.edgestack.proxy.http;

import io.netty.util.AsciiString;

/**
 * Header names of the request path as {@link AsciiString}s, in their usual spelling: a header map hashes them once
 * (a String name is hashed on every lookup) and the encoder copies their bytes.
 */
public final class HeaderNames {

    /** A header name: an RFC 9110 token. */
    public static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    /** Whether a header value written in configuration has no control character but tab (no CR or LF to split on). */
    public static boolean printable(String value) {
        return value.chars().noneMatch(c -> c < 0x20 && c != '\t' || c == 0x7f);
    }

    public static final AsciiString ACCEPT_ENCODING = AsciiString.cached("Accept-Encoding");
    public static final AsciiString AGE = AsciiString.cached("Age");
    public static final AsciiString CACHE_CONTROL = AsciiString.cached("Cache-Control");
    public static final AsciiString CACHE_STATUS = AsciiString.cached("Cache-Status");
    public static final AsciiString CONTENT_ENCODING = AsciiString.cached("Content-Encoding");
    public static final AsciiString CONTENT_LENGTH = AsciiString.cached("Content-Length");
    public static final AsciiString CONTENT_TYPE = AsciiString.cached("Content-Type");
    public static final AsciiString DATE = AsciiString.cached("Date");
    public static final AsciiString ETAG = AsciiString.cached("ETag");
    public static final AsciiString REQUEST_ID = AsciiString.cached(RequestIds.HEADER);
    public static final AsciiString SERVER = AsciiString.cached("Server");
    public static final AsciiString VARY = AsciiString.cached("Vary");
    public static final AsciiString X_CACHE = AsciiString.cached("X-Cache");
    public static final AsciiString X_POWERED_BY = AsciiString.cached("X-Powered-By");

    private HeaderNames() {
    }
}
