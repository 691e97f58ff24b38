package io.edgestack.proxy.site;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * Asks another service whether a request may go on, as Caddy's {@code forward_auth}, nginx's {@code auth_request} and
 * Traefik's ForwardAuth do (Authelia, Authentik, oauth2-proxy, Tinyauth answer such requests): before the request is
 * served, a {@code GET} of {@code url} carries its headers (not its body) with {@code X-Forwarded-Method},
 * {@code -Proto}, {@code -Host}, {@code -Uri} and {@code -For}. A {@code 2xx} answer lets the request go on, with the
 * {@code copyHeaders} of that answer set on it (a visitor's own headers of those names taken off first, so that none
 * can claim to be a user); any other answer (a redirect to a login page, a 401 or 403) is the visitor's, as it came.
 * {@code timeout} bounds the whole check; the service unreachable or too slow: {@code 502}/{@code 504}.
 */
public record ForwardAuth(URI url, List<String> copyHeaders, Duration timeout) {

    public ForwardAuth {
        copyHeaders = List.copyOf(copyHeaders);
    }

    public boolean ssl() {
        return "https".equals(url.getScheme());
    }

    public int port() {
        return url.getPort() > 0 ? url.getPort() : ssl() ? 443 : 80;
    }

    /** The path and query asked for ({@code /} when the URL has no path). */
    public String pathAndQuery() {
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        return url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    }
}
