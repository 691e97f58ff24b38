package io.edgestack.proxy.site;

import java.util.List;
import java.util.Map;

/**
 * A site: its host names, its routes (longest prefix wins), its headers, Cache-Control rules, edge cache, redirects,
 * who may use it ({@link Access#OPEN}: anyone) and how often ({@link RateLimit#NONE}: no limit), and the origins its
 * releases' {@code _redirects} may proxy to ({@code rewrite-origins}: each an upstream route of its own, keyed by origin).
 */
public record Site(String name, List<String> hosts, List<Route> routes, HeaderPolicy headers, CacheRules cacheRules,
        EdgeCache edgeCache, Redirects redirects, Access access, RateLimit rateLimit, Map<String, Route> rewriteOrigins) {

    public Site(String name, List<String> hosts, List<Route> routes, HeaderPolicy headers, CacheRules cacheRules,
            EdgeCache edgeCache, Redirects redirects, Access access, RateLimit rateLimit) {
        this(name, hosts, routes, headers, cacheRules, edgeCache, redirects, access, rateLimit, Map.of());
    }

    /**
     * {@code scheme://host[:port]} of an http(s) URL, lower-case, without a default port; null when it is not an
     * absolute http(s) URL with a host.
     */
    public static String originOf(String url) {
        java.net.URI uri;
        try {
            uri = java.net.URI.create(url);
        } catch (IllegalArgumentException e) {
            return null;
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null || uri.getRawUserInfo() != null) {
            return null;
        }
        int port = uri.getPort();
        boolean usual = port < 0 || port == ("https".equals(scheme) ? 443 : 80);
        return scheme + "://" + uri.getHost().toLowerCase(java.util.Locale.ROOT) + (usual ? "" : ":" + port);
    }

    /** The upstream route that proxies to {@code origin} (as {@link #originOf} writes it), or null when not allowed. */
    public Route rewriteRoute(String origin) {
        return origin == null ? null : rewriteOrigins.get(origin);
    }

    /** The rate limit that applies on {@code route} (null: no route): the route's own, else the site's; null for none. */
    public RateLimit rateLimitOn(Route route) {
        RateLimit applies = route != null && route.rateLimit() != null ? route.rateLimit() : rateLimit;
        return applies.isNone() ? null : applies;
    }

    /** The access that applies on {@code route} (null: no route): the route's own, else the site's; null when open. */
    public Access accessOn(Route route) {
        Access applies = route != null && route.access() != null ? route.access() : access;
        return applies.isOpen() ? null : applies;
    }

    public Route route(String path) {
        Route best = null;
        for (Route route : routes) {
            if (route.matches(path) && (best == null || route.pathPrefix().length() > best.pathPrefix().length())) {
                best = route;
            }
        }
        return best;
    }

    /** The {@code Cache-Control} of the site's first rule matching {@code path}, or {@code null} if none does. */
    public String cacheControlFor(String path) {
        return cacheRules.cacheControlFor(path);
    }
}
