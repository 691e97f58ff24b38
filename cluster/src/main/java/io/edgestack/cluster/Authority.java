package io.edgestack.cluster;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;

/**
 * The host a request is for: its Host header (HTTP/1.1), or the {@code :authority} of an HTTP/2 request, which carries
 * no Host header; and its target as it is sent on.
 */
public final class Authority {

    private static final io.netty.util.AsciiString HOST = io.netty.util.AsciiString.cached("Host");

    private Authority() {
    }

    /**
     * {@code host} or {@code host:port}, or null when the request names none. A request target in absolute form
     * ({@code GET http://example.org/page}) names it, and its Host header is then ignored (RFC 9112 §3.2.2; Go's server,
     * and so Caddy, does the same).
     */
    public static String of(HttpServerRequest request) {
        String uri = request.uri();
        int start = absoluteForm(uri);
        if (start > 0) {
            String named = uri.substring(start, authorityEnd(uri, start));
            named = named.substring(named.lastIndexOf('@') + 1); // without a user's name, if any
            if (!named.isEmpty()) {
                return named;
            }
        }
        String host = request.getHeader(HOST);
        if (host != null) {
            return host;
        }
        HostAndPort authority = request.authority();
        if (authority == null || authority.host() == null || authority.host().isEmpty()) {
            return null;
        }
        return authority.port() >= 0 ? authority.host() + ":" + authority.port() : authority.host();
    }

    /**
     * {@code uri} in origin form, as it is sent on to an upstream or a script: an absolute-form target
     * ({@code http://example.org/page?x}) loses its scheme and authority ({@code /page?x}); any other is left as is.
     */
    public static String originForm(String uri) {
        int start = absoluteForm(uri);
        if (start < 0) {
            return uri;
        }
        int end = authorityEnd(uri, start);
        if (end == uri.length()) {
            return "/";
        }
        return uri.charAt(end) == '/' ? uri.substring(end) : "/" + uri.substring(end);
    }

    /**
     * {@code target} with each character outside printable ASCII percent-encoded, for the tunnel, which carries targets
     * as ASCII: Netty reads a request line byte for byte, so a visitor's raw UTF-8 ({@code /café}, as curl sends it)
     * arrives as one character per byte, and each goes on as its byte, {@code /caf%C3%A9}, what a browser sends for the
     * same link and what Caddy sends on (Go's {@code EscapedPath}); it reached the origin as {@code /caf??}. The same
     * string when there is nothing to encode.
     */
    private static final String HEX = "0123456789ABCDEF";

    public static String escapeTarget(String target) {
        int i = 0;
        while (i < target.length() && target.charAt(i) > 0x20 && target.charAt(i) < 0x7f) {
            i++;
        }
        if (i == target.length()) {
            return target;
        }
        StringBuilder escaped = new StringBuilder(target.length() + 16).append(target, 0, i);
        for (; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c > 0x20 && c < 0x7f) {
                escaped.append(c);
            } else { // a byte of the request line; a wider character (none comes from Netty) as its UTF-8 bytes
                byte[] bytes = c <= 0xff ? new byte[] { (byte) c }
                        : String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                for (byte b : bytes) {
                    escaped.append('%').append(HEX.charAt((b >> 4) & 0xf)).append(HEX.charAt(b & 0xf));
                }
            }
        }
        return escaped.toString();
    }

    /** Where the authority of an absolute-form target starts (after {@code scheme://}), or -1 for any other form. */
    private static int absoluteForm(String uri) {
        if (uri.isEmpty() || uri.charAt(0) == '/') {
            return -1;
        }
        int scheme = uri.indexOf("://");
        return scheme > 0 ? scheme + 3 : -1;
    }

    /** Where the authority that starts at {@code start} ends: at the path, query or fragment, or the end. */
    private static int authorityEnd(String uri, int start) {
        int end = start;
        while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
            end++;
        }
        return end;
    }
}
