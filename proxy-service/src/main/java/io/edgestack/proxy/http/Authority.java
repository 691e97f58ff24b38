package io.edgestack.proxy.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;

/**
 * The host a request is for: its Host header (HTTP/1.1), or the {@code :authority} of an HTTP/2 request, which carries
 * no Host header.
 */
public final class Authority {

    private static final io.netty.util.AsciiString HOST = io.netty.util.AsciiString.cached("Host");

    private Authority() {
    }

    /** {@code host} or {@code host:port}, or null when the request names none. */
    public static String of(HttpServerRequest request) {
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
}
