package io.edgestack.proxy.site;

import java.util.List;

/**
 * A site: its host names, its routes (longest prefix wins), its headers, Cache-Control rules, edge cache and redirects.
 */
public record Site(String name, List<String> hosts, List<Route> routes, HeaderPolicy headers, CacheRules cacheRules,
        EdgeCache edgeCache, Redirects redirects) {

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
