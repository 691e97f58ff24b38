package io.edgestack.proxy.site;

import java.util.regex.Pattern;

/**
 * A {@code Cache-Control} value applied to responses whose path matches, when the origin sets none.
 */
public record CacheRule(Pattern path, String cacheControl) {

    /** Hashed build assets never change; HTML must be revalidated so a deploy shows at once. */
    public static final java.util.List<CacheRule> DEFAULTS = java.util.List.of(
            new CacheRule(Pattern.compile("^/(assets|_astro)/.*|.*[.-][A-Za-z0-9_-]{8,}\\.(js|mjs|css|woff2?|png|jpe?g|gif|svg|webp|avif)$"),
                    "public, max-age=31536000, immutable"),
            new CacheRule(Pattern.compile(".*(/|\\.html)$"), "public, max-age=0, must-revalidate"));

    public boolean matches(String path) {
        return this.path.matcher(path).matches();
    }
}
