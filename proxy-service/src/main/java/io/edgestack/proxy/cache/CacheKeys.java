package io.edgestack.proxy.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.edgestack.proxy.files.AcceptEncoding;
import io.vertx.core.http.HttpServerRequest;

/**
 * Cache keys. The primary key is scheme, host, path and the query with ignored parameters dropped and the rest
 * sorted; a variant key adds the request's values of the headers the stored response varies on
 * ({@code Accept-Encoding} normalised to the coding that would be chosen).
 */
final class CacheKeys {

    private static final List<String> CODINGS = List.of("br", "zstd", "gzip");

    private CacheKeys() {
    }

    static String primary(String scheme, String host, String path, String query, List<String> ignoredQuery) {
        // one exact-size concatenation (a hit builds one key); toLowerCase returns the host itself when it has no capital
        String lower = host.toLowerCase(Locale.ROOT);
        String normalised = query(query, ignoredQuery);
        return normalised.isEmpty() ? scheme + "://" + lower + path : scheme + "://" + lower + path + "?" + normalised;
    }

    /** The query without ignored parameters, the others sorted (so that {@code ?b=2&a=1} and {@code ?a=1&b=2} match). */
    static String query(String query, List<String> ignored) {
        if (query == null || query.isEmpty()) {
            return "";
        }
        List<String> kept = new ArrayList<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            if (!matchesAny(name, ignored)) {
                kept.add(pair);
            }
        }
        kept.sort(null);
        return String.join("&", kept);
    }

    /** {@code *} at the end of a pattern matches any rest: {@code utm_*}. */
    static boolean matchesAny(String name, List<String> patterns) {
        for (String pattern : patterns) {
            if (pattern.endsWith("*") ? name.startsWith(pattern.substring(0, pattern.length() - 1)) : name.equals(pattern)) {
                return true;
            }
        }
        return false;
    }

    static String variant(String primary, List<String> varyNames, HttpServerRequest request) {
        if (varyNames.isEmpty()) {
            return primary;
        }
        StringBuilder key = new StringBuilder(primary);
        for (String name : varyNames) {
            key.append('\n').append(name).append(':').append(normalised(name, request.headers().getAll(name)));
        }
        return key.toString();
    }

    private static String normalised(String name, List<String> values) {
        if (name.equals("accept-encoding")) {
            String coding = AcceptEncoding.choose(values.isEmpty() ? null : String.join(",", values), CODINGS);
            return coding == null ? "identity" : coding;
        }
        return String.join(",", values).trim();
    }
}
