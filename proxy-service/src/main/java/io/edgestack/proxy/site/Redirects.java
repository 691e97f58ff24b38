package io.edgestack.proxy.site;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A site's redirects, as Caddy's {@code redir} and the {@code _redirects} files of Netlify and Cloudflare Pages write
 * them: {@code from} a path ({@code /old}, matched with or without a trailing slash) that may hold placeholders
 * ({@code :slug}, one path segment) and a splat ({@code *} at its end, any rest, {@code :splat} in {@code to}); {@code to} a path or
 * an absolute URL where the placeholders are filled in; a status, 301 by default. The first rule that matches a path, in
 * the order written, is the one that applies. The request's query string goes along unless {@code to} has its own.
 * A redirect applies before the routes, whether or not a file or upstream would answer the path.
 *
 * <p>A release's own file ({@link #releaseRule}) may also rewrite: status 200 serves the file at {@code to} under the
 * requested address ({@code /* /index.html 200}, a single-page app's fallback), 404 serves it with status 404 (a
 * section's own not-found page), as 410 and 451 do with theirs; 200 to an http(s) URL proxies the request there (Netlify's
 * proxy rewrites, to the origins the site allows). Those apply only where no file answers the path, unless forced ({@code 200!}). Its
 * rules may also ask for query parameters ({@code /store id=:id /blog/:id}, as Netlify's): such a rule matches only a
 * request whose query has each of them (with the value written, or any value for a {@code :placeholder}, filled into
 * {@code to} like a path's), and the request's query does not go along (the target says what it keeps).
 */
public final class Redirects {

    /**
     * One rule. {@code pattern} is null for a plain path; else it matches a whole cleaned path, with the values of
     * {@code names} (placeholders, and {@code splat}) in its groups.
     */
    public record Rule(String from, String to, int status, boolean force, java.util.regex.Pattern pattern, List<String> names,
            List<QueryCondition> query, List<String> languages) {

        public Rule(String from, String to, int status, boolean force, java.util.regex.Pattern pattern, List<String> names,
                List<QueryCondition> query) {
            this(from, to, status, force, pattern, names, query, List.of());
        }

        public boolean redirects() {
            return STATUSES.contains(status);
        }

        /** A rewrite to another host: {@code 200} to an http(s) URL, proxied there (Netlify's proxy rewrites). */
        public boolean proxies() {
            return status == 200 && !to.startsWith("/");
        }
    }

    /**
     * A rule's condition on the query: the parameter {@code name} is there, with {@code value} (decoded), or with any
     * value, taken as the placeholder {@code placeholder} when that is not null.
     */
    public record QueryCondition(String name, String value, String placeholder) {

        /** {@code id=:id}, {@code page=about}, as a {@code _redirects} line writes it. */
        public static QueryCondition parse(String written) {
            int equals = written.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException("'" + written + "' is not a query condition (name=value or name=:placeholder)");
            }
            String name = decode(written.substring(0, equals));
            String value = written.substring(equals + 1);
            if (value.startsWith(":")) {
                String placeholder = value.substring(1);
                if (!placeholder.matches("[A-Za-z][A-Za-z0-9_]*")) {
                    throw new IllegalArgumentException("'" + written + "': :" + placeholder + " is not a placeholder's name");
                }
                return new QueryCondition(name, null, placeholder);
            }
            return new QueryCondition(name, decode(value), null);
        }
    }

    /** What applies to a path: its rule and {@code to} with the placeholders filled in (percent-encoded). */
    public record Match(Rule rule, String to) {

        public boolean redirects() {
            return rule.redirects();
        }

        public int status() {
            return rule.status();
        }

        public boolean force() {
            return rule.force();
        }

        public boolean proxies() {
            return rule.proxies();
        }

        /**
         * The redirect's Location: {@code to}, with {@code query} (raw, or null) when {@code to} has none of its own and the
         * rule has no query conditions.
         */
        public String location(String query) {
            String location = to;
            if (rule.query().isEmpty() && query != null && !query.isEmpty() && location.indexOf('?') < 0) {
                int fragment = location.indexOf('#');
                location = fragment < 0 ? location + "?" + query
                        : location.substring(0, fragment) + "?" + query + location.substring(fragment);
            }
            return location;
        }
    }

    /** The answer to a redirected request. */
    public record Target(String location, int status) {
    }

    public static final Set<Integer> STATUSES = Set.of(301, 302, 303, 307, 308);
    /**
     * What a release's {@code _redirects} may also do: rewrite (200), and serve a page with status 404 (not found), 410
     * (gone for good) or 451 (unavailable for legal reasons).
     */
    public static final Set<Integer> REWRITES = Set.of(200, 404, 410, 451);
    public static final Redirects NONE = new Redirects(List.of());

    private final List<Rule> rules;
    /** A plain path (without its trailing slash) → the position of the first rule written for it. */
    private final Map<String, Integer> plain = new HashMap<>();
    /**
     * The positions of the rules with placeholders or a splat, in order: by the first segment of their {@code from} when
     * it is written out ({@code /blog/:slug} under {@code blog}), so that a path is tried against the few rules that can
     * match it; the others ({@code /*}, {@code /:lang/docs}) in {@code anywhere}.
     */
    private final Map<String, int[]> bySegment = new HashMap<>();
    private final int[] anywhere;
    private final boolean proxies;
    private final boolean languages;

    public Redirects(List<Rule> rules) {
        this.rules = List.copyOf(rules);
        this.proxies = this.rules.stream().anyMatch(Rule::proxies);
        this.languages = this.rules.stream().anyMatch(rule -> !rule.languages().isEmpty());
        Map<String, List<Integer>> segments = new HashMap<>();
        List<Integer> wild = new ArrayList<>();
        for (int i = 0; i < this.rules.size(); i++) {
            Rule rule = this.rules.get(i);
            if (rule.pattern() == null) {
                plain.putIfAbsent(withoutSlash(rule.from()), i);
                continue;
            }
            String segment = firstSegment(rule.from());
            if (segment.isEmpty() || segment.indexOf(':') >= 0 || segment.indexOf('*') >= 0 || segment.length() == rule.from().length() - 1) {
                wild.add(i); // a first segment that is a pattern itself, or the whole from ("/news*")
            } else {
                segments.computeIfAbsent(segment, k -> new ArrayList<>()).add(i);
            }
        }
        segments.forEach((segment, positions) -> bySegment.put(segment, positions.stream().mapToInt(Integer::intValue).toArray()));
        this.anywhere = wild.stream().mapToInt(Integer::intValue).toArray();
    }

    /** {@code /blog/2024/x} → {@code blog}; {@code /} → empty. */
    private static String firstSegment(String path) {
        int end = path.indexOf('/', 1);
        return end < 0 ? path.substring(1) : path.substring(1, end);
    }

    public List<Rule> rules() {
        return rules;
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /** Whether a rule has a language condition. */
    public boolean hasLanguages() {
        return languages;
    }

    /**
     * Whether the answer for {@code path} depends on the visitor's {@code Accept-Language}: a rule with a language
     * condition matches the path (its answer then carries {@code Vary: Accept-Language}).
     */
    public boolean dependsOnLanguage(String path) {
        if (!languages) {
            return false;
        }
        for (Rule rule : rules) {
            if (!rule.languages().isEmpty() && rule.pattern().matcher(path).matches()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code acceptLanguage} (the header, or null) asks for one of {@code languages} (lower case): a tag equal
     * to one, or whose primary language is one ({@code fr-CH} for {@code fr}), with a weight above 0.
     */
    static boolean accepts(String acceptLanguage, List<String> languages) {
        if (acceptLanguage == null) {
            return false;
        }
        for (String range : acceptLanguage.split(",")) {
            String[] parts = range.split(";");
            String tag = parts[0].trim().toLowerCase(java.util.Locale.ROOT);
            boolean refused = false;
            for (int i = 1; i < parts.length; i++) {
                String parameter = parts[i].trim();
                if (parameter.startsWith("q=")) {
                    try {
                        refused = Double.parseDouble(parameter.substring(2)) <= 0;
                    } catch (NumberFormatException e) {
                        refused = true;
                    }
                }
            }
            if (refused || tag.isEmpty() || tag.equals("*")) {
                continue;
            }
            int dash = tag.indexOf('-');
            if (languages.contains(tag) || dash > 0 && languages.contains(tag.substring(0, dash))) {
                return true;
            }
        }
        return false;
    }

    /** Whether a rule proxies to another host ({@link Rule#proxies}). */
    public boolean hasProxies() {
        return proxies;
    }

    /** The first rule, in the order written, that matches {@code path} (already cleaned), or null. */
    public Match match(String path) {
        return match(path, null);
    }

    /**
     * The first rule, in the order written, that matches {@code path} (already cleaned) and {@code query} (raw, or
     * null), or null.
     */
    public Match match(String path, String query) {
        return match(path, query, null);
    }

    /**
     * The first rule, in the order written, that matches {@code path} (already cleaned), {@code query} (raw, or null)
     * and {@code acceptLanguage} (the visitor's header, or null: no rule with a language condition matches), or null.
     */
    public Match match(String path, String query, String acceptLanguage) {
        Map<String, String> parameters = null;
        Integer exact = plain.get(withoutSlash(path));
        int first = exact == null ? Integer.MAX_VALUE : exact;
        int[] named = bySegment.isEmpty() ? null : bySegment.get(firstSegment(path));
        int a = 0;
        int n = 0;
        // the two lists merged in the order the rules were written, up to the plain rule for the path, if any
        while (true) {
            int fromAnywhere = a < anywhere.length ? anywhere[a] : Integer.MAX_VALUE;
            int fromNamed = named != null && n < named.length ? named[n] : Integer.MAX_VALUE;
            int position = Math.min(fromAnywhere, fromNamed);
            if (position >= first) {
                break;
            }
            if (position == fromAnywhere) {
                a++;
            } else {
                n++;
            }
            Rule rule = rules.get(position);
            java.util.regex.Matcher matcher = rule.pattern().matcher(path);
            if (!matcher.matches() || !rule.languages().isEmpty() && !accepts(acceptLanguage, rule.languages())) {
                continue;
            }
            if (rule.query().isEmpty()) {
                return new Match(rule, fill(rule, matcher, Map.of()));
            }
            if (parameters == null) {
                parameters = parameters(query);
            }
            Map<String, String> captured = captured(rule, parameters);
            if (captured != null) {
                return new Match(rule, fill(rule, matcher, captured));
            }
        }
        return exact == null ? null : new Match(rules.get(exact), rules.get(exact).to());
    }

    /**
     * Where {@code path} (already cleaned) with {@code query} (or null) is redirected to, or null when no redirect
     * matches.
     */
    public Target target(String path, String query) {
        Match match = match(path, query);
        return match == null || !match.redirects() ? null : new Target(match.location(query), match.status());
    }

    /** A raw query's parameters, decoded, the first value of each name. */
    static Map<String, String> parameters(String query) {
        if (query == null || query.isEmpty()) {
            return Map.of();
        }
        Map<String, String> parameters = new HashMap<>();
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals));
            parameters.putIfAbsent(name, equals < 0 ? "" : decode(pair.substring(equals + 1)));
        }
        return parameters;
    }

    /** The values of the rule's query placeholders when the query meets all of its conditions, else null. */
    private static Map<String, String> captured(Rule rule, Map<String, String> parameters) {
        Map<String, String> captured = new HashMap<>();
        for (QueryCondition condition : rule.query()) {
            String value = parameters.get(condition.name());
            if (value == null || condition.placeholder() == null && !condition.value().equals(value)) {
                return null;
            }
            if (condition.placeholder() != null) {
                captured.put(condition.placeholder(), value);
            }
        }
        return captured;
    }

    private static String decode(String raw) {
        try {
            return java.net.URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) { // a stray %: as written
            return raw;
        }
    }

    private static String fill(Rule rule, java.util.regex.Matcher matcher, Map<String, String> captured) {
        String to = rule.to();
        if (to.indexOf(':') < 0) {
            return to;
        }
        // longest names first, so that :slug is not taken for the start of :slugline
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < rule.names().size(); i++) {
            order.add(i);
        }
        order.sort((a, b) -> rule.names().get(b).length() - rule.names().get(a).length());
        for (int i : order) {
            String name = rule.names().get(i);
            String value = i < matcher.groupCount() ? matcher.group(i + 1) : captured.get(name);
            to = to.replace(":" + name, encode(value == null ? "" : value));
        }
        return to;
    }

    /** {@code path} (decoded) percent-encoded again for a {@code Location}: what RFC 3986 allows in a path stays. */
    static String encode(String path) {
        StringBuilder out = null;
        byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            boolean keep = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || "-._~/!$&'()*+,;=:@".indexOf(b) >= 0;
            if (!keep && out == null) {
                out = new StringBuilder(path.length() + 16).append(new String(bytes, 0, i, StandardCharsets.UTF_8));
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
     * Reads one redirect of the sites file; the message of the exception says what is wrong.
     *
     * @throws IllegalArgumentException a {@code from} that is not a path, a {@code to} that is neither a path nor an
     *         http(s) URL, a status that is not a redirect's
     */
    public static Rule rule(String from, String to, int status) {
        if (!STATUSES.contains(status)) {
            throw new IllegalArgumentException("status: " + status + " is not one of 301, 302, 303, 307, 308");
        }
        return build(from, to, status, false, List.of());
    }

    /**
     * Reads one rule of a release's {@code _redirects}: a redirect as {@link #rule}, or a rewrite (200) or not-found page
     * (404) to a path of the release; {@code force}: it applies even where a file answers the path.
     */
    public static Rule releaseRule(String from, String to, int status, boolean force) {
        return releaseRule(from, to, status, force, List.of());
    }

    /** A rule of a release's {@code _redirects} that also asks for query parameters (see the class comment). */
    public static Rule releaseRule(String from, String to, int status, boolean force, List<QueryCondition> query) {
        return releaseRule(from, to, status, force, query, List.of());
    }

    /**
     * A rule of a release's {@code _redirects} with query and language conditions ({@code Language=fr,de}, as Netlify's:
     * the visitor's {@code Accept-Language} asks for one of them).
     */
    public static Rule releaseRule(String from, String to, int status, boolean force, List<QueryCondition> query,
            List<String> languages) {
        if (REWRITES.contains(status)) {
            if (to == null || !to.startsWith("/") && (status != 200 || io.edgestack.proxy.site.Site.originOf(to) == null)) {
                throw new IllegalArgumentException(status == 200 ? "to: '" + to + "' is not a path or an http(s):// URL"
                        : "a page with status " + status + " is a path of the release, not '" + to + "'");
            }
        } else if (!STATUSES.contains(status)) {
            throw new IllegalArgumentException("status: " + status + " is not one of 200, 301, 302, 303, 307, 308, 404, 410, 451");
        }
        return build(from, to, status, force, query, languages);
    }

    private static Rule build(String from, String to, int status, boolean force, List<QueryCondition> query) {
        return build(from, to, status, force, query, List.of());
    }

    private static Rule build(String from, String to, int status, boolean force, List<QueryCondition> query,
            List<String> languages) {
        if (from == null || !from.startsWith("/") || from.indexOf('*') >= 0 && from.indexOf('*') != from.length() - 1
                || from.contains("?") || from.contains("#")) {
            throw new IllegalArgumentException("from: '" + from + "' is not a path (with :placeholders, and * at its end)");
        }
        if (to == null || !(to.startsWith("/") || to.startsWith("https://") || to.startsWith("http://"))
                || to.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
            throw new IllegalArgumentException("to: '" + to + "' is not a path or an http(s):// URL");
        }
        List<String> names = new ArrayList<>();
        java.util.regex.Pattern pattern = pattern(from, names);
        for (QueryCondition condition : query) {
            if (condition.placeholder() != null) {
                if (names.contains(condition.placeholder()) || condition.placeholder().equals("splat")) {
                    throw new IllegalArgumentException("'" + condition.name() + "=:" + condition.placeholder() + "' names :"
                            + condition.placeholder() + " twice");
                }
                names.add(condition.placeholder());
            }
        }
        if (pattern == null && (!query.isEmpty() || !languages.isEmpty())) {
            // matched in the rules' order with those of the same path and other queries, not looked up by its path alone
            pattern = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(withoutSlash(from)) + (from.equals("/") ? "" : "/?"));
        }
        return new Rule(from, to, status, force, pattern, List.copyOf(names), List.copyOf(query), List.copyOf(languages));
    }

    /**
     * The pattern of a {@code from}, or null for a plain path: {@code :name} matches one segment, {@code *} any rest
     * (named {@code splat}); a trailing slash is optional after a placeholder. Fills {@code names} in group order.
     */
    static java.util.regex.Pattern pattern(String from, List<String> names) {
        StringBuilder regex = new StringBuilder();
        int i = 0;
        boolean dynamic = false;
        while (i < from.length()) {
            char c = from.charAt(i);
            if (c == '*') {
                regex.append("(.*)");
                names.add("splat");
                dynamic = true;
                i++;
            } else if (c == ':' && i > 0 && from.charAt(i - 1) == '/' && i + 1 < from.length() && Character.isLetter(from.charAt(i + 1))) {
                int end = i + 1;
                while (end < from.length() && (Character.isLetterOrDigit(from.charAt(end)) || from.charAt(end) == '_')) {
                    end++;
                }
                String name = from.substring(i + 1, end);
                if (names.contains(name) || name.equals("splat")) {
                    throw new IllegalArgumentException("from: '" + from + "' names :" + name + " twice");
                }
                regex.append("([^/]+)");
                names.add(name);
                dynamic = true;
                i = end;
            } else {
                int end = i + 1;
                while (end < from.length() && from.charAt(end) != '*' && from.charAt(end) != ':') {
                    end++;
                }
                regex.append(java.util.regex.Pattern.quote(from.substring(i, end)));
                i = end;
            }
        }
        if (!dynamic) {
            return null;
        }
        if (!from.endsWith("*") && !from.endsWith("/")) {
            regex.append("/?");
        }
        return java.util.regex.Pattern.compile(regex.toString());
    }
}
