package io.edgestack.proxy.site;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A site's redirects, as Caddy's {@code redir} and the {@code _redirects} files of Netlify and Cloudflare Pages write
 * them: {@code from} a path ({@code /old}, matched with or without a trailing slash) or a path prefix ending in
 * {@code *} ({@code /blog/*}, whose rest is {@code :splat}), {@code to} a path or an absolute URL, with a status (301 by
 * default). The request's query string goes along unless {@code to} has its own. A redirect applies before the routes,
 * whether or not a file or upstream would answer the path.
 */
public final class Redirects {

    /** One redirect. {@code prefix}: {@code from} ended in {@code *} and is the part before it. */
    public record Rule(String from, boolean prefix, String to, int status) {
    }

    public static final Set<Integer> STATUSES = Set.of(301, 302, 303, 307, 308);
    public static final Redirects NONE = new Redirects(List.of());

    private final List<Rule> rules;
    private final Map<String, Rule> exact = new HashMap<>();
    private final List<Rule> prefixes = new ArrayList<>();

    public Redirects(List<Rule> rules) {
        this.rules = List.copyOf(rules);
        for (Rule rule : rules) {
            if (rule.prefix()) {
                prefixes.add(rule);
            } else {
                exact.putIfAbsent(withoutSlash(rule.from()), rule); // the first of two for the same path wins
            }
        }
        prefixes.sort(Comparator.comparingInt((Rule r) -> r.from().length()).reversed()); // longest prefix wins
    }

    public List<Rule> rules() {
        return rules;
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /**
     * Where {@code path} (already cleaned) with {@code query} (or null) is redirected to, or null when no redirect
     * matches.
     */
    public Target target(String path, String query) {
        Rule rule = exact.get(withoutSlash(path));
        String splat = "";
        if (rule == null) {
            for (Rule candidate : prefixes) {
                if (path.startsWith(candidate.from())) {
                    rule = candidate;
                    splat = path.substring(candidate.from().length());
                    break;
                }
            }
        }
        if (rule == null) {
            return null;
        }
        String location = rule.to().replace(":splat", encode(splat));
        if (query != null && !query.isEmpty() && location.indexOf('?') < 0) {
            int fragment = location.indexOf('#');
            location = fragment < 0 ? location + "?" + query
                    : location.substring(0, fragment) + "?" + query + location.substring(fragment);
        }
        return new Target(location, rule.status());
    }

    /** The answer to a redirected request. */
    public record Target(String location, int status) {
    }

    /** {@code path} (decoded) percent-encoded again for a {@code Location}: what RFC 3986 allows in a path stays. */
    static String encode(String path) {
        StringBuilder out = null;
        byte[] bytes = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean keep = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || "-._~/!$&'()*+,;=:@".indexOf(b) >= 0;
            if (!keep && out == null) {
                out = new StringBuilder(path.length() + 16).append(new String(bytes, 0, i, java.nio.charset.StandardCharsets.UTF_8));
            }
            if (out != null) {
                out.append(keep ? String.valueOf((char) b) : String.format("%%%02X", b));
            }
        }
        return out == null ? path : out.toString();
    }

    private static String withoutSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    /**
     * Reads one redirect; the message of the exception says what is wrong.
     *
     * @throws IllegalArgumentException a {@code from} that is not a path, a {@code to} that is neither a path nor an
     *         http(s) URL, a status that is not a redirect's
     */
    public static Rule rule(String from, String to, int status) {
        if (from == null || !from.startsWith("/") || from.indexOf('*') >= 0 && from.indexOf('*') != from.length() - 1
                || from.contains("?") || from.contains("#")) {
            throw new IllegalArgumentException("from: '" + from + "' is not a path, or a path prefix ending in *");
        }
        if (to == null || !(to.startsWith("/") || to.startsWith("https://") || to.startsWith("http://"))
                || to.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
            throw new IllegalArgumentException("to: '" + to + "' is not a path or an http(s):// URL");
        }
        if (!STATUSES.contains(status)) {
            throw new IllegalArgumentException("status: " + status + " is not one of 301, 302, 303, 307, 308");
        }
        boolean prefix = from.endsWith("*");
        return new Rule(prefix ? from.substring(0, from.length() - 1) : from, prefix, to, status);
    }
}
