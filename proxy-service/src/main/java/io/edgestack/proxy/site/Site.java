package io.edgestack.proxy.site;

import java.util.List;

/**
 * A site: its host names, its routes (longest prefix wins), its headers, Cache-Control rules and edge cache.
 */
public record Site(String name, List<String> hosts, List<Route> routes, HeaderPolicy headers, List<CacheRule> cacheRules,
        EdgeCache edgeCache) {

    public Route route(String path) {
        Route best = null;
        for (Route route : routes) {
            if (route.matches(path) && (best == null || route.pathPrefix().length() > best.pathPrefix().length())) {
                best = route;
            }
        }
        return best;
    }

    public String cacheControlFor(String path) {
        for (CacheRule rule : cacheRules) {
            if (rule.matches(path)) {
                return rule.cacheControl();
            }
        }
        return null;
    }
}
