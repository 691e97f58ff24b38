package io.edgestack.proxy.upstream;

import java.util.List;
import java.util.Map;
import java.util.Set;

import io.vertx.core.MultiMap;
import io.vertx.core.net.HostAndPort;

/**
 * What an upstream route changes in the headers, as Caddy's {@code header_up} / {@code header_down}: the {@code Host}
 * the upstream is asked for (by default the chosen server's address as written in {@code targets}, as nginx's
 * {@code proxy_pass} does, the visitor's in {@code X-Forwarded-Host}; {@code upstream}: the server's name without a
 * default port, for an app hosted elsewhere under its own name; {@code visitor}: the visitor's, as Caddy does, for an
 * app that serves several sites by name; or a name), request headers set or removed on their way up, and answer
 * headers set or removed on their way down. A header that frames the message or belongs to one connection is never
 * touched here.
 */
public record HeaderRules(String host, Map<String, String> requestSet, List<String> requestRemove,
        Map<String, String> responseSet, List<String> responseRemove) {

    public static final HeaderRules NONE = new HeaderRules(null, Map.of(), List.of(), Map.of(), List.of());
    /** {@code host-header: upstream}. */
    public static final String UPSTREAM = "upstream";
    /** {@code host-header: visitor}. */
    public static final String VISITOR = "visitor";

    /** Headers these rules may not set nor remove: the message's framing, the connection's own, and Host. */
    public static final Set<String> REFUSED = Set.of("content-length", "transfer-encoding", "connection", "keep-alive",
            "upgrade", "te", "trailer", "proxy-connection", "host");

    public HeaderRules {
        requestSet = Map.copyOf(requestSet);
        requestRemove = List.copyOf(requestRemove);
        responseSet = Map.copyOf(responseSet);
        responseRemove = List.copyOf(responseRemove);
    }

    public boolean changesRequests() {
        return !requestSet.isEmpty() || !requestRemove.isEmpty();
    }

    public boolean changesResponses() {
        return !responseSet.isEmpty() || !responseRemove.isEmpty();
    }

    /**
     * The authority to ask {@code upstream} for, or null for the client's default (the server's address as written);
     * {@code visitorHost}: the visitor's {@code Host}, or null.
     */
    HostAndPort authority(Upstream upstream, String visitorHost) {
        if (host == null) {
            return null;
        }
        if (host.equals(VISITOR)) {
            return visitorHost == null ? null : HostAndPort.parseAuthority(visitorHost, -1);
        }
        if (host.equals(UPSTREAM)) {
            boolean defaultPort = upstream.port() == (upstream.ssl() ? 443 : 80);
            return HostAndPort.create(upstream.host(), defaultPort ? -1 : upstream.port());
        }
        return HostAndPort.parseAuthority(host, -1);
    }

    void request(MultiMap headers) {
        requestRemove.forEach(headers::remove);
        requestSet.forEach(headers::set);
    }

    void response(MultiMap headers) {
        responseRemove.forEach(headers::remove);
        responseSet.forEach(headers::set);
    }
}
