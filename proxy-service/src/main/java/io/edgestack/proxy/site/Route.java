package io.edgestack.proxy.site;

import io.edgestack.proxy.upstream.PoolSpec;

/**
 * A path prefix of a site and what answers it: the site's live release (static), an upstream pool, a fixed answer
 * ({@code respond}), or the release's PHP through a FastCGI server ({@code fastcgi}); {@code access} and {@code rateLimit} its own, or null for the site's; {@code browse}: a static
 * route lists a folder that has no index.html, as Caddy's {@code file_server browse}.
 */
public record Route(String pathPrefix, Kind kind, PoolSpec upstream, Access access, RateLimit rateLimit, Respond respond,
        boolean browse, FastCgi fastcgi) {

    public enum Kind {
        STATIC,
        UPSTREAM,
        RESPOND,
        FASTCGI
    }

    public Route(String pathPrefix, Kind kind, PoolSpec upstream, Access access, RateLimit rateLimit, Respond respond,
            boolean browse) {
        this(pathPrefix, kind, upstream, access, rateLimit, respond, browse, null);
    }

    public static Route staticFiles(String pathPrefix) {
        return new Route(pathPrefix, Kind.STATIC, null, null, null, null, false);
    }

    public boolean matches(String path) {
        return path.startsWith(pathPrefix)
                || (pathPrefix.endsWith("/") && path.equals(pathPrefix.substring(0, pathPrefix.length() - 1)));
    }
}
