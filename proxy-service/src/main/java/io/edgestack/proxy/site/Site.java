package io.edgestack.proxy.site;

import java.util.List;

/**
 * A site: its host names, its routes (longest prefix wins), its headers, Cache-Control rules, edge cache, redirects,
 * who may use it ({@link Access#OPEN}: anyone) and how often ({@link RateLimit#NONE}: no limit).
 */
public record Site(String name, List<String> hosts, List<Route> routes, HeaderPolicy headers, CacheRules cacheRules,
        EdgeCache edgeCache, Redirects redirects, Access access, RateLimit rateLimit) {

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
