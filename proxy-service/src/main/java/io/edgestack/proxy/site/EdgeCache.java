package io.edgestack.proxy.site;

import java.time.Duration;
import java.util.List;

/**
 * The edge cache of a site's upstream routes (the CDN role), from the {@code edge-cache} block of the sites file.
 *
 * @param ignoreQuery query parameters left out of the cache key (globs: {@code utm_*}); the others are sorted
 * @param bypassCookies cookies whose presence sends a request past the cache (globs: {@code wordpress_logged_in_*})
 * @param storeSetCookie whether responses carrying Set-Cookie may be stored (they are served without it)
 * @param staleWhenDown how long after expiry a stored copy is still served while the origin refuses, times out or
 *        answers 5xx ("always online"); 0 leaves it to the origin's stale-if-error
 * @param defaultTtl freshness of 200 responses that state none (no max-age, s-maxage or Expires); 0 stores them not
 */
public record EdgeCache(boolean enabled, List<String> ignoreQuery, List<String> bypassCookies, boolean storeSetCookie,
        Duration staleWhenDown, Duration defaultTtl) {

    public static final List<String> DEFAULT_IGNORED_QUERY = List.of("utm_*", "fbclid", "gclid");

    public static final EdgeCache OFF = new EdgeCache(false, DEFAULT_IGNORED_QUERY, List.of(), false, Duration.ZERO,
            Duration.ZERO);
}
