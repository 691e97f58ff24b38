package io.edgestack.proxy.upstream;

import io.edgestack.cluster.Authority;
import io.edgestack.cluster.TrustedProxies;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * Sets X-Forwarded-For/-Proto/-Host and Forwarded (RFC 7239) on a request to an upstream. Values a client sent are
 * kept and extended only when the client is a trusted proxy; otherwise they are replaced.
 */
final class ForwardedHeaders {

    // names as AsciiStrings: hashed once, not on every lookup (see HeaderNames)
    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    private static final AsciiString FORWARDED = AsciiString.cached("Forwarded");

    private ForwardedHeaders() {
    }

    static void apply(HttpServerRequest request, MultiMap headers, TrustedProxies trusted) {
        SocketAddress remote = request.remoteAddress();
        String address = remote == null ? null : remote.hostAddress(); // a new String each time it is asked
        boolean trust = trusted.trusts(address);
        String peer = address == null ? "unknown" : address;
        String proto = request.isSSL() ? "https" : "http";
        String host = Authority.of(request);

        String priorFor = trust ? request.getHeader(X_FORWARDED_FOR) : null;
        headers.set(X_FORWARDED_FOR, priorFor == null || priorFor.isBlank() ? peer : priorFor + ", " + peer);
        String priorProto = trust ? request.getHeader(X_FORWARDED_PROTO) : null;
        headers.set(X_FORWARDED_PROTO, priorProto == null ? proto : priorProto);
        String priorHost = trust ? request.getHeader(X_FORWARDED_HOST) : null;
        if (priorHost != null || host != null) {
            headers.set(X_FORWARDED_HOST, priorHost != null ? priorHost : host);
        }
        String element = "for=" + node(peer) + ";proto=" + proto + (host != null ? ";host=\"" + host.replace("\"", "") + "\"" : "");
        String priorForwarded = trust ? request.getHeader(FORWARDED) : null;
        headers.set(FORWARDED, priorForwarded == null ? element : priorForwarded + ", " + element);
    }

    private static String node(String address) {
        return address.indexOf(':') >= 0 ? "\"[" + address + "]\"" : address;
    }
}
