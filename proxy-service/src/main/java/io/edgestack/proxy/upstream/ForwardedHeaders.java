package io.edgestack.proxy.upstream;

import io.edgestack.proxy.http.Authority;
import io.edgestack.proxy.http.TrustedProxies;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;

/**
 * Sets X-Forwarded-For/-Proto/-Host and Forwarded (RFC 7239) on a request to an upstream. Values a client sent are
 * kept and extended only when the client is a trusted proxy; otherwise they are replaced.
 */
final class ForwardedHeaders {

    private ForwardedHeaders() {
    }

    static void apply(HttpServerRequest request, MultiMap headers, TrustedProxies trusted) {
        boolean trust = trusted.trusts(request.remoteAddress());
        String peer = request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
        String proto = request.isSSL() ? "https" : "http";
        String host = Authority.of(request);

        String priorFor = trust ? request.getHeader("X-Forwarded-For") : null;
        headers.set("X-Forwarded-For", priorFor == null || priorFor.isBlank() ? peer : priorFor + ", " + peer);
        String priorProto = trust ? request.getHeader("X-Forwarded-Proto") : null;
        headers.set("X-Forwarded-Proto", priorProto == null ? proto : priorProto);
        String priorHost = trust ? request.getHeader("X-Forwarded-Host") : null;
        if (priorHost != null || host != null) {
            headers.set("X-Forwarded-Host", priorHost != null ? priorHost : host);
        }
        String element = "for=" + node(peer) + ";proto=" + proto + (host != null ? ";host=\"" + host.replace("\"", "") + "\"" : "");
        String priorForwarded = trust ? request.getHeader("Forwarded") : null;
        headers.set("Forwarded", priorForwarded == null ? element : priorForwarded + ", " + element);
    }

    private static String node(String address) {
        return address.indexOf(':') >= 0 ? "\"[" + address + "]\"" : address;
    }
}
