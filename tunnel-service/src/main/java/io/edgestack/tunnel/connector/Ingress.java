package io.edgestack.tunnel.connector;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.edgestack.tunnel.config.HostPattern;
import io.edgestack.tunnel.config.TunnelConfig;

/**
 * The connector's ordered ingress rules: the first rule whose host name and path prefix match names the local service
 * (an origin URL, a TCP service carried over WebSocket as cloudflared's {@code tcp://} and {@code ssh://} services, or a
 * fixed status like cloudflared's {@code http_status:404}). The last rule must match everything, so every request has an
 * answer.
 */
public final class Ingress {

    /** Schemes of services reached as a TCP stream carried in a WebSocket, with the port each one defaults to. */
    static final java.util.Map<String, Integer> TCP_SCHEMES = java.util.Map.of("tcp", -1, "ssh", 22, "rdp", 3389, "smb", 445);

    /**
     * @param origin the service: {@code http(s)://host:port}, or {@code tcp://host:port} for a TCP service (its port
     *        always set); null for a status rule
     * @param tls how an {@code https://} origin is spoken to
     * @param hostHeader the {@code Host} the origin is asked with, or null for the visitor's
     * @param accessToken for a TCP rule, the bearer token a visitor must present, or null for none
     */
    public record Rule(Optional<HostPattern> host, Optional<String> path, URI origin, int status, OriginTls tls,
            String hostHeader, String accessToken) {

        public Rule {
            tls = tls == null ? OriginTls.DEFAULT : tls;
        }

        public Rule(Optional<HostPattern> host, Optional<String> path, URI origin, int status, OriginTls tls, String hostHeader) {
            this(host, path, origin, status, tls, hostHeader, null);
        }

        /** A rule that speaks to an {@code https://} origin with the JVM's trust, with the visitor's Host. */
        public Rule(Optional<HostPattern> host, Optional<String> path, URI origin, int status) {
            this(host, path, origin, status, OriginTls.DEFAULT, null);
        }

        boolean matches(String hostName, String requestPath) { // hostName normalised by match()
            if (host.isPresent() && !host.get().matches(hostName)) {
                return false;
            }
            if (path.isEmpty()) {
                return true;
            }
            String prefix = path.get();
            if (!isPlainPath(prefix)) { // cloudflared's: a regular expression searched in the path
                return pattern().matcher(requestPath).find();
            }
            return requestPath.equals(prefix) || requestPath.startsWith(prefix.endsWith("/") ? prefix : prefix + "/");
        }

        private java.util.regex.Pattern pattern() {
            return PATTERNS.computeIfAbsent(path.get(), java.util.regex.Pattern::compile);
        }

        public boolean isStatus() {
            return origin == null;
        }

        /** A TCP service: visitors reach it through a WebSocket whose binary messages carry its bytes. */
        public boolean isTcp() {
            return origin != null && "tcp".equals(origin.getScheme());
        }

        @Override
        public String toString() { // the access token stays out of logs and messages
            return "Rule[host=" + host + ", path=" + path + ", origin=" + origin + ", status=" + status + ", tls=" + tls
                    + ", hostHeader=" + hostHeader + ", accessToken=" + (accessToken == null ? "none" : "set") + "]";
        }
    }

    /** The compiled regular expressions of the rules' paths (checked at start, so that they compile). */
    private static final java.util.Map<String, java.util.regex.Pattern> PATTERNS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A path written as a plain path ({@code /api}, {@code /static/v1.2}): matched as a prefix on segment boundaries;
     * any other is a regular expression, as cloudflared's {@code path} ({@code \.(jpg|png)$}, {@code ^/api/v[0-9]+/}),
     * searched in the request's path.
     */
    static boolean isPlainPath(String path) {
        return path.startsWith("/") && path.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
                || c >= '0' && c <= '9' || "/-._~%@:,;=!'&".indexOf(c) >= 0);
    }

    private final List<Rule> rules;

    public Ingress(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public List<Rule> rules() {
        return rules;
    }

    /** Whether any rule names a TCP service (then the connector runs its WebSocket-to-TCP bridge). */
    public boolean hasTcp() {
        return rules.stream().anyMatch(Rule::isTcp);
    }

    /** The distinct TLS settings of the rules (one origin client each). */
    public java.util.Set<OriginTls> tlsProfiles() {
        java.util.Set<OriginTls> profiles = new java.util.LinkedHashSet<>();
        profiles.add(OriginTls.DEFAULT);
        rules.forEach(rule -> profiles.add(rule.tls()));
        return profiles;
    }

    public Rule match(String host, String target) {
        String name = HostPattern.normalise(host);
        int query = target.indexOf('?');
        String path = query >= 0 ? target.substring(0, query) : target;
        for (Rule rule : rules) {
            if (rule.matches(name, path)) {
                return rule;
            }
        }
        return rules.get(rules.size() - 1); // unreachable: the last rule matches everything
    }

    /** Builds the rules from configuration, naming the key of the first problem found. */
    public static Ingress from(TunnelConfig.Connector config) {
        List<TunnelConfig.IngressRule> configured = config.ingress().orElse(List.of());
        List<Rule> rules = new ArrayList<>();
        String defaultsKey = "edgestack.tunnel.connector.origin-request";
        if (configured.isEmpty()) {
            rules.add(new Rule(Optional.empty(), Optional.empty(), origin("edgestack.tunnel.connector.origin", config.origin()), 0,
                    OriginTls.of(config.originRequest(), defaultsKey, config.originRequest(), defaultsKey),
                    hostHeader(config.originRequest(), defaultsKey, config.originRequest(), defaultsKey)));
            return new Ingress(rules);
        }
        for (int i = 0; i < configured.size(); i++) {
            TunnelConfig.IngressRule rule = configured.get(i);
            String key = "edgestack.tunnel.connector.ingress[" + i + "]";
            Optional<HostPattern> host = rule.hostname().filter(h -> !h.isBlank()).map(h -> HostPattern.parse(key + ".hostname", h));
            Optional<String> path = rule.path().filter(p -> !p.isBlank());
            if (path.isPresent() && !isPlainPath(path.get())) {
                try {
                    PATTERNS.computeIfAbsent(path.get(), java.util.regex.Pattern::compile);
                } catch (java.util.regex.PatternSyntaxException e) {
                    throw new IllegalArgumentException(key + ".path: '" + path.get() + "' is neither a path (/api) nor a "
                            + "regular expression (" + e.getDescription() + " near index " + e.getIndex() + ")");
                }
            }
            String service = rule.service().trim();
            Optional<String> token = rule.accessToken().filter(t -> !t.isBlank());
            String scheme = service.contains("://") ? service.substring(0, service.indexOf("://")).toLowerCase(java.util.Locale.ROOT) : "";
            if (token.isPresent() && !TCP_SCHEMES.containsKey(scheme)) {
                throw new IllegalArgumentException(key + ".access-token: only a tcp://, ssh://, rdp:// or smb:// service takes "
                        + "an access token (an HTTP service checks its own visitors)");
            }
            if (TCP_SCHEMES.containsKey(scheme)) {
                rules.add(new Rule(host, path, tcpService(key + ".service", service, scheme), 0, null, null, token.orElse(null)));
            } else if (service.startsWith("http_status:")) {
                int status;
                try {
                    status = Integer.parseInt(service.substring("http_status:".length()));
                } catch (NumberFormatException e) {
                    status = -1;
                }
                if (status < 200 || status > 599) {
                    throw new IllegalArgumentException(key + ".service: '" + service + "' needs a status 200-599 (example: http_status:404)");
                }
                rules.add(new Rule(host, path, null, status));
            } else {
                rules.add(new Rule(host, path, origin(key + ".service", service), 0,
                        OriginTls.of(rule.originRequest(), key + ".origin-request", config.originRequest(), defaultsKey),
                        hostHeader(rule.originRequest(), key + ".origin-request", config.originRequest(), defaultsKey)));
            }
        }
        Rule last = rules.get(rules.size() - 1);
        if (last.host().isPresent() || last.path().isPresent()) {
            throw new IllegalArgumentException("edgestack.tunnel.connector.ingress[" + (rules.size() - 1)
                    + "]: the last rule must match every request (no hostname, no path), for example service=http_status:404");
        }
        return new Ingress(rules);
    }

    /** The rule's {@code http-host-header}, else the connector's, checked as a Host value; null for none. */
    static String hostHeader(TunnelConfig.OriginRequest rule, String ruleKey, TunnelConfig.OriginRequest defaults,
            String defaultsKey) {
        String value = OriginTls.pick(rule.httpHostHeader(), defaults.httpHostHeader());
        if (value != null && !value.matches("[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?")) {
            throw new IllegalArgumentException(OriginTls.keyOf(rule.httpHostHeader(), ruleKey, defaultsKey, "http-host-header")
                    + ": '" + value + "' is not a host name with an optional port");
        }
        return value;
    }

    /** {@code tcp://host:port} of a TCP service written as cloudflared's {@code tcp://}, {@code ssh://} ... services. */
    private static URI tcpService(String key, String text, String scheme) {
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        int port = uri == null ? -1 : uri.getPort() > 0 ? uri.getPort() : TCP_SCHEMES.get(scheme);
        if (uri == null || uri.getHost() == null || port <= 0 || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())
                || uri.getRawQuery() != null) {
            throw new IllegalArgumentException(key + ": '" + text + "' must be " + scheme + "://host"
                    + (TCP_SCHEMES.get(scheme) > 0 ? "[:port]" : ":port") + " (example: " + scheme + "://127.0.0.1:"
                    + (TCP_SCHEMES.get(scheme) > 0 ? TCP_SCHEMES.get(scheme) : 5432) + ")");
        }
        return URI.create("tcp://" + (uri.getHost().contains(":") && !uri.getHost().startsWith("[") ? "[" + uri.getHost() + "]"
                : uri.getHost()) + ":" + port);
    }

    private static URI origin(String key, String text) {
        URI uri;
        try {
            uri = URI.create(text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": '" + text + "' is not a URL (example: http://127.0.0.1:8081)");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException(key + ": '" + text
                    + "' must be http://host:port or https://host:port, tcp://host:port (or ssh://, rdp://, smb://), or http_status:NNN");
        }
        return uri;
    }
}
