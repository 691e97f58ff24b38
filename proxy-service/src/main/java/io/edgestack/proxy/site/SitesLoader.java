package io.edgestack.proxy.site;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * Reads and validates a sites file (YAML). Every problem is reported with the key it concerns; unknown keys are
 * refused so that a typo never silently turns a setting off.
 */
public final class SitesLoader {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern SITE_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern HOST = Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private SitesLoader() {
    }

    /** The built-in configuration: one static site answering every host. */
    public static Sites defaults(String defaultSite) {
        Site site = new Site(defaultSite, List.of(), List.of(Route.staticFiles("/")), HeaderPolicy.DEFAULTS,
                new CacheRules(CacheRule.DEFAULTS), EdgeCache.OFF, Redirects.NONE, Access.OPEN, RateLimit.NONE);
        return new Sites(List.of(site), site);
    }

    public static Sites load(Path file, String defaultSite) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new SiteConfigException("edgestack.proxy.sites-file", "cannot read " + file.toAbsolutePath() + ": " + e);
        }
        return parse(text, defaultSite);
    }

    public static Sites parse(String yaml, String defaultSite) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new SiteConfigException("sites file", "not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        if (root == null || !root.isObject()) {
            throw new SiteConfigException("sites file", "must be a mapping with a 'sites' list");
        }
        allowOnly(root, "", Set.of("sites", "default-site"));
        String fallbackName = root.hasNonNull("default-site") ? text(root, "default-site") : defaultSite;
        JsonNode list = root.get("sites");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new SiteConfigException("sites", "must be a non-empty list of sites");
        }
        List<Site> sites = new ArrayList<>();
        Map<String, String> hostOwners = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            Site site = site(list.get(i), "sites[" + i + "]");
            for (Site other : sites) {
                if (other.name().equals(site.name())) {
                    throw new SiteConfigException("sites[" + i + "].name", "'" + site.name() + "' is used by two sites");
                }
            }
            for (String host : site.hosts()) {
                String owner = hostOwners.putIfAbsent(host, site.name());
                if (owner != null) {
                    throw new SiteConfigException("sites[" + i + "].hosts", "'" + host + "' is already served by site '" + owner + "'");
                }
            }
            sites.add(site);
        }
        Site fallback = sites.stream().filter(s -> s.name().equals(fallbackName)).findFirst()
                .orElseThrow(() -> new SiteConfigException("default-site", "no site is named '" + fallbackName + "'"));
        return new Sites(sites, fallback);
    }

    private static Site site(JsonNode node, String key) {
        if (!node.isObject()) {
            throw new SiteConfigException(key, "must be a mapping");
        }
        allowOnly(node, key + ".", Set.of("name", "hosts", "routes", "headers", "cache", "edge-cache", "redirects", "access",
                "rate-limit", "rewrite-origins"));
        String name = text(node, key + ".name", node.get("name"));
        if (!SITE_NAME.matcher(name).matches()) {
            throw new SiteConfigException(key + ".name", "'" + name + "' must be lower-case letters, digits and '-'");
        }
        List<String> hosts = new ArrayList<>();
        JsonNode hostList = node.get("hosts");
        if (hostList != null) {
            requireArray(hostList, key + ".hosts");
            for (int i = 0; i < hostList.size(); i++) {
                String host = text(hostList, key + ".hosts[" + i + "]", hostList.get(i)).toLowerCase(Locale.ROOT);
                if (!HOST.matcher(host).matches()) {
                    throw new SiteConfigException(key + ".hosts[" + i + "]", "'" + host + "' is not a host name");
                }
                hosts.add(host);
            }
        }
        JsonNode routeList = node.get("routes");
        List<Route> routes = new ArrayList<>();
        if (routeList == null) {
            routes.add(Route.staticFiles("/"));
        } else {
            requireArray(routeList, key + ".routes");
            for (int i = 0; i < routeList.size(); i++) {
                routes.add(route(routeList.get(i), key + ".routes[" + i + "]"));
            }
        }
        return new Site(name, List.copyOf(hosts), List.copyOf(routes), headers(node.get("headers"), key + ".headers"),
                new CacheRules(cacheRules(node.get("cache"), key + ".cache")), edgeCache(node.get("edge-cache"), key + ".edge-cache"),
                redirects(node.get("redirects"), key + ".redirects"),
                node.has("access") ? access(node.get("access"), key + ".access") : Access.OPEN,
                node.has("rate-limit") ? rateLimit(node.get("rate-limit"), key + ".rate-limit") : RateLimit.NONE,
                rewriteOrigins(node.get("rewrite-origins"), key + ".rewrite-origins"));
    }

    /**
     * {@code rewrite-origins: [https://api.example.com]}: the origins a release's {@code _redirects} may proxy to with a
     * {@code 200} rule to a URL ({@code /api/* https://api.example.com/:splat 200}, Netlify's proxy rewrites). Each is
     * an upstream of its own, asked with its own name as {@code Host} (as Netlify does), its errors passed on as they
     * come; none by default, so that a deployed file cannot make the proxy fetch any address it names.
     */
    static Map<String, Route> rewriteOrigins(JsonNode node, String key) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        requireArray(node, key);
        Map<String, Route> origins = new LinkedHashMap<>();
        for (int i = 0; i < node.size(); i++) {
            String itemKey = key + "[" + i + "]";
            String url = text(node, itemKey, node.get(i));
            String origin = Site.originOf(url);
            java.net.URI uri = origin == null ? null : java.net.URI.create(url);
            if (origin == null || uri.getRawQuery() != null || uri.getRawFragment() != null
                    || uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
                throw new SiteConfigException(itemKey, "'" + url + "' is not an origin: http(s)://host[:port], no path");
            }
            com.fasterxml.jackson.databind.node.ObjectNode spec = new ObjectMapper().createObjectNode();
            spec.putArray("targets").add(origin);
            spec.put("host-header", io.edgestack.proxy.upstream.HeaderRules.UPSTREAM).put("intercept-errors", false);
            origins.put(origin, new Route("/", Route.Kind.UPSTREAM, UpstreamSpecs.parse(spec, itemKey), null, null, null, false));
        }
        return Map.copyOf(origins);
    }

    /** {@code rate-limit: {requests: 10, per: 1m, burst: 5}} per client address; {@code {}}: none (a route lifts its site's). */
    static RateLimit rateLimit(JsonNode node, String key) {
        if (node == null || node.isNull() || node.isObject() && node.isEmpty()) {
            return RateLimit.NONE;
        }
        allowOnly(node, key + ".", Set.of("requests", "per", "burst"));
        if (!node.has("requests")) {
            throw new SiteConfigException(key + ".requests", "is required: how many requests a client may make per 'per'");
        }
        int requests = UpstreamSpecs.integer(node, "requests", 0, 1, 1_000_000, key);
        java.time.Duration per = UpstreamSpecs.duration(node, "per", "1s", key);
        if (per.isZero() || per.compareTo(java.time.Duration.ofDays(1)) > 0) {
            throw new SiteConfigException(key + ".per", "must be from 1ms to 24h");
        }
        int burst = UpstreamSpecs.integer(node, "burst", requests, 1, 1_000_000, key);
        return new RateLimit(requests, per, burst);
    }

    /**
     * {@code access: {allow: [CIDR...], deny: [CIDR...], basic-auth: {realm, users: {name: bcrypt hash}}}} (or
     * {@code forward-auth: {url, copy-headers, timeout}} instead of {@code basic-auth}); {@code {}}
     * is open (on a route: opens what its site closes).
     */
    static Access access(JsonNode node, String key) {
        if (node == null || node.isNull()) {
            return Access.OPEN;
        }
        allowOnly(node, key + ".", Set.of("allow", "deny", "basic-auth", "forward-auth"));
        io.edgestack.cluster.IpBlocks allow = blocks(node.get("allow"), key + ".allow");
        io.edgestack.cluster.IpBlocks deny = blocks(node.get("deny"), key + ".deny");
        ForwardAuth forward = node.hasNonNull("forward-auth") ? forwardAuth(node.get("forward-auth"), key + ".forward-auth") : null;
        JsonNode auth = node.get("basic-auth");
        if (auth == null || auth.isNull()) {
            return new Access(allow, deny, null, Map.of(), forward);
        }
        if (forward != null) {
            throw new SiteConfigException(key + ".forward-auth", "and basic-auth go on different routes: keep one here");
        }
        allowOnly(auth, key + ".basic-auth.", Set.of("realm", "users"));
        String realm = auth.hasNonNull("realm") ? text(auth, key + ".basic-auth.realm", auth.get("realm")) : "restricted";
        if (realm.isEmpty() || realm.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == '"' || c == '\\')) {
            throw new SiteConfigException(key + ".basic-auth.realm", "'" + realm + "' must be printable, without quotes or backslashes");
        }
        JsonNode users = auth.get("users");
        if (users == null || !users.isObject() || users.isEmpty()) {
            throw new SiteConfigException(key + ".basic-auth.users", "must map at least one user name to a bcrypt hash "
                    + "(htpasswd -nbB <user> <password>, or caddy hash-password)");
        }
        Map<String, String> hashes = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = users.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> user = fields.next();
            String userKey = key + ".basic-auth.users." + user.getKey();
            if (user.getKey().isEmpty() || user.getKey().contains(":") || user.getKey().chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new SiteConfigException(userKey, "a user name has no ':' and no control character");
            }
            String hash = text(users, userKey, user.getValue());
            if (!Access.BCRYPT.matcher(hash).matches()) { // the value is not repeated: it may be a password written by mistake
                throw new SiteConfigException(userKey, "not a bcrypt hash ($2a$, $2b$ or $2y$, as htpasswd -nbB or caddy "
                        + "hash-password print it): write the hash, never the password");
            }
            hashes.put(user.getKey(), hash);
        }
        return new Access(allow, deny, realm, hashes, null);
    }

    /** {@code forward-auth: {url: http://auth:9091/api/verify, copy-headers: [Remote-User], timeout: 5s}}. */
    private static ForwardAuth forwardAuth(JsonNode node, String key) {
        if (!node.isObject()) {
            throw new SiteConfigException(key, "must be a map: {url: http://auth:9091/api/verify, copy-headers: [Remote-User]}");
        }
        allowOnly(node, key + ".", Set.of("url", "copy-headers", "timeout"));
        if (!node.hasNonNull("url")) {
            throw new SiteConfigException(key + ".url", "is required: the authentication service's http:// or https:// URL");
        }
        String url = text(node, key + ".url", node.get("url"));
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new SiteConfigException(key + ".url", "'" + url + "' is not a URL: " + e.getReason());
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new SiteConfigException(key + ".url", "'" + url + "' must be an http:// or https:// URL with a host "
                    + "(no user or fragment)");
        }
        List<String> copy = new ArrayList<>();
        JsonNode names = node.get("copy-headers");
        if (names != null && !names.isNull()) {
            requireArray(names, key + ".copy-headers");
            for (int i = 0; i < names.size(); i++) {
                String name = text(names, key + ".copy-headers[" + i + "]", names.get(i));
                if (!io.edgestack.proxy.http.HeaderNames.TOKEN.matcher(name).matches()) {
                    throw new SiteConfigException(key + ".copy-headers[" + i + "]", "'" + name + "' is not a header name");
                }
                copy.add(name);
            }
        }
        java.time.Duration timeout = UpstreamSpecs.duration(node, "timeout", "5s", key);
        if (timeout.isZero() || timeout.compareTo(java.time.Duration.ofMinutes(1)) > 0) {
            throw new SiteConfigException(key + ".timeout", "must be from 1ms to 1m");
        }
        return new ForwardAuth(uri, copy, timeout);
    }

    private static io.edgestack.cluster.IpBlocks blocks(JsonNode node, String key) {
        if (node == null || node.isNull()) {
            return io.edgestack.cluster.IpBlocks.NONE;
        }
        requireArray(node, key);
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String entry = text(node, key + "[" + i + "]", node.get(i));
            try {
                io.edgestack.cluster.IpBlocks.parse(List.of(entry));
            } catch (IllegalArgumentException e) {
                throw new SiteConfigException(key + "[" + i + "]", e.getMessage());
            }
            entries.add(entry);
        }
        return io.edgestack.cluster.IpBlocks.parse(entries);
    }

    private static Redirects redirects(JsonNode node, String key) {
        if (node == null || node.isNull()) {
            return Redirects.NONE;
        }
        requireArray(node, key);
        List<Redirects.Rule> rules = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode rule = node.get(i);
            String ruleKey = key + "[" + i + "]";
            allowOnly(rule, ruleKey + ".", Set.of("from", "to", "status"));
            JsonNode status = rule.get("status");
            if (status != null && !status.canConvertToInt()) {
                throw new SiteConfigException(ruleKey + ".status", "'" + status.asText() + "' is not one of 301, 302, 303, 307, 308");
            }
            try {
                rules.add(Redirects.rule(text(rule, ruleKey + ".from", rule.get("from")), text(rule, ruleKey + ".to", rule.get("to")),
                        status == null ? 301 : status.asInt()));
            } catch (IllegalArgumentException e) {
                String message = e.getMessage();
                int colon = message.indexOf(": ");
                throw new SiteConfigException(ruleKey + "." + message.substring(0, colon), message.substring(colon + 2));
            }
        }
        return new Redirects(rules);
    }

    private static Route route(JsonNode node, String key) {
        if (!node.isObject()) {
            throw new SiteConfigException(key, "must be a mapping with 'path' and a handler ('static' or 'upstream')");
        }
        allowOnly(node, key + ".", Set.of("path", "static", "upstream", "respond", "fastcgi", "access", "rate-limit"));
        String path = text(node, key + ".path", node.get("path"));
        if (!path.startsWith("/")) {
            throw new SiteConfigException(key + ".path", "'" + path + "' must start with '/'");
        }
        if ((node.has("static") ? 1 : 0) + (node.has("upstream") ? 1 : 0) + (node.has("respond") ? 1 : 0)
                + (node.has("fastcgi") ? 1 : 0) != 1) {
            throw new SiteConfigException(key, "needs exactly one handler: 'static: {}' serves the site's live release, "
                    + "'upstream: {targets: [...]}' proxies to servers, 'respond: {status: 200, body: ok}' answers by itself, "
                    + "'fastcgi: {address: 127.0.0.1:9000}' runs the release's PHP");
        }
        Access access = node.has("access") ? access(node.get("access"), key + ".access") : null;
        RateLimit rateLimit = node.has("rate-limit") ? rateLimit(node.get("rate-limit"), key + ".rate-limit") : null;
        if (node.has("static")) {
            JsonNode options = node.get("static");
            boolean browse = false;
            if (options != null && !options.isNull()) {
                allowOnly(options, key + ".static.", Set.of("browse"));
                browse = UpstreamSpecs.bool(options, "browse", false, key + ".static");
            }
            return new Route(path, Route.Kind.STATIC, null, access, rateLimit, null, browse);
        }
        if (node.has("fastcgi")) {
            return new Route(path, Route.Kind.FASTCGI, null, access, rateLimit, null, false,
                    FastCgi.parse(node.get("fastcgi"), key + ".fastcgi"));
        }
        if (node.has("respond")) {
            return new Route(path, Route.Kind.RESPOND, null, access, rateLimit, respond(node.get("respond"), key + ".respond"), false);
        }
        return new Route(path, Route.Kind.UPSTREAM, UpstreamSpecs.parse(node.get("upstream"), key + ".upstream"), access,
                rateLimit, null, false);
    }

    /** {@code respond: {status: 200, body: "ok", content-type: ..., headers: {Name: value}}}. */
    private static Respond respond(JsonNode node, String key) {
        allowOnly(node, key + ".", Set.of("status", "body", "content-type", "headers"));
        int status = UpstreamSpecs.integer(node, "status", 200, 200, 599, key);
        String body = "";
        if (node.has("body")) {
            JsonNode value = node.get("body");
            if (!value.isValueNode()) {
                throw new SiteConfigException(key + ".body", "must be text");
            }
            body = value.isNull() ? "" : value.asText();
        }
        io.vertx.core.buffer.Buffer bytes = io.vertx.core.buffer.Buffer.buffer(body);
        if (bytes.length() > Respond.MAX_BODY) {
            throw new SiteConfigException(key + ".body", bytes.length() + " bytes: at most " + Respond.MAX_BODY
                    + " (a page of its own belongs in the release)");
        }
        String contentType = node.hasNonNull("content-type") ? text(node, key + ".content-type", node.get("content-type"))
                : "text/plain; charset=utf-8";
        Map<String, String> headers = new LinkedHashMap<>();
        JsonNode headerNode = node.get("headers");
        if (headerNode != null && !headerNode.isNull()) {
            if (!headerNode.isObject()) {
                throw new SiteConfigException(key + ".headers", "must map header names to values");
            }
            for (Iterator<Map.Entry<String, JsonNode>> fields = headerNode.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                String headerKey = key + ".headers." + field.getKey();
                if (!io.edgestack.proxy.http.HeaderNames.TOKEN.matcher(field.getKey()).matches()
                        || io.edgestack.proxy.upstream.HeaderRules.REFUSED.contains(field.getKey().toLowerCase(Locale.ROOT))
                        || field.getKey().equalsIgnoreCase("content-type")) {
                    throw new SiteConfigException(headerKey, "is not a header this answer may set (content-type has a key of its own)");
                }
                String value = text(headerNode, headerKey, field.getValue());
                if (!io.edgestack.proxy.http.HeaderNames.printable(value)) {
                    throw new SiteConfigException(headerKey, "has a control character");
                }
                headers.put(field.getKey(), value);
            }
        }
        return new Respond(status, bytes, contentType, headers);
    }

    private static HeaderPolicy headers(JsonNode node, String key) {
        if (node == null) {
            return HeaderPolicy.DEFAULTS;
        }
        if (!node.isObject()) {
            throw new SiteConfigException(key, "must be a mapping");
        }
        allowOnly(node, key + ".", Set.of("hsts", "frame-options", "referrer-policy", "permissions-policy",
                "content-security-policy", "extra"));
        HeaderPolicy d = HeaderPolicy.DEFAULTS;
        Map<String, String> extra = new LinkedHashMap<>();
        JsonNode extraNode = node.get("extra");
        if (extraNode != null) {
            if (!extraNode.isObject()) {
                throw new SiteConfigException(key + ".extra", "must be a mapping of header name to value");
            }
            extraNode.fields().forEachRemaining(e -> extra.put(e.getKey(), text(extraNode, key + ".extra." + e.getKey(), e.getValue())));
        }
        return new HeaderPolicy(
                optional(node, "hsts", d.hsts(), key),
                optional(node, "frame-options", d.frameOptions(), key),
                optional(node, "referrer-policy", d.referrerPolicy(), key),
                optional(node, "permissions-policy", d.permissionsPolicy(), key),
                optional(node, "content-security-policy", d.contentSecurityPolicy(), key),
                extra);
    }

    private static EdgeCache edgeCache(JsonNode node, String key) {
        if (node == null) {
            return EdgeCache.OFF;
        }
        allowOnly(node, key + ".", Set.of("enabled", "ignore-query", "bypass-cookies", "store-set-cookie", "stale-when-down",
                "default-ttl"));
        return new EdgeCache(UpstreamSpecs.bool(node, "enabled", true, key),
                names(node.get("ignore-query"), key + ".ignore-query", EdgeCache.DEFAULT_IGNORED_QUERY),
                names(node.get("bypass-cookies"), key + ".bypass-cookies", List.of()),
                UpstreamSpecs.bool(node, "store-set-cookie", false, key),
                UpstreamSpecs.duration(node, "stale-when-down", "0s", key),
                UpstreamSpecs.duration(node, "default-ttl", "0s", key));
    }

    private static List<String> names(JsonNode node, String key, List<String> fallback) {
        if (node == null) {
            return fallback;
        }
        requireArray(node, key);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            names.add(text(node, key + "[" + i + "]", node.get(i)));
        }
        return List.copyOf(names);
    }

    private static List<CacheRule> cacheRules(JsonNode node, String key) {
        if (node == null) {
            return CacheRule.DEFAULTS;
        }
        requireArray(node, key);
        List<CacheRule> rules = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode rule = node.get(i);
            String ruleKey = key + "[" + i + "]";
            allowOnly(rule, ruleKey + ".", Set.of("path", "cache-control"));
            String regex = text(rule, ruleKey + ".path", rule.get("path"));
            try {
                rules.add(new CacheRule(Pattern.compile(regex), text(rule, ruleKey + ".cache-control", rule.get("cache-control"))));
            } catch (PatternSyntaxException e) {
                throw new SiteConfigException(ruleKey + ".path", "'" + regex + "' is not a regular expression: " + e.getDescription());
            }
        }
        return List.copyOf(rules);
    }

    private static String optional(JsonNode node, String field, String fallback, String key) {
        if (!node.has(field)) {
            return fallback;
        }
        JsonNode value = node.get(field);
        return value.isNull() ? null : text(node, key + "." + field, value);
    }

    static void allowOnly(JsonNode node, String prefix, Set<String> allowed) {
        if (!node.isObject()) {
            throw new SiteConfigException(prefix.isEmpty() ? "sites file" : prefix.substring(0, prefix.length() - 1),
                    "must be a mapping");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new SiteConfigException(prefix + name, "unknown key (expected one of " + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    static void requireArray(JsonNode node, String key) {
        if (!node.isArray()) {
            throw new SiteConfigException(key, "must be a list");
        }
    }

    private static String text(JsonNode parent, String field) {
        return text(parent, field, parent.get(field));
    }

    static String text(JsonNode parent, String key, JsonNode value) {
        if (value == null || value.isNull()) {
            throw new SiteConfigException(key, "is required");
        }
        if (!value.isValueNode()) {
            throw new SiteConfigException(key, "must be a single value");
        }
        String text = value.asText().trim();
        if (text.isEmpty()) {
            throw new SiteConfigException(key, "must not be empty");
        }
        return text;
    }
}
