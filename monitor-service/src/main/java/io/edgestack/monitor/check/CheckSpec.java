package io.edgestack.monitor.check;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One check, validated: what to probe, how often, and what counts as up. Built from flat settings (the keys under
 * {@code edgestack.monitor.checks.<name>.}, or the JSON of the checks API); every error names the check and the key.
 *
 * @param type http, tcp, tls, dns, push, ping, postgres, mysql, redis, docker or grpc
 * @param expectedStatus ranges of accepted HTTP statuses, {@code [from, to]} each
 * @param jsonPath a condition on the JSON body: {@code $.a.b == value} or {@code $.a.b != value}
 * @param alertOnStale whether answers that are the cache's stale copy because the origin failed count towards an
 *        incident (visitors are served, but the origin is down)
 * @param entryLayer the layer of the suite the URL enters by ({@code tunnel} for the edge's public address,
 *        {@code proxy}, {@code origin}), or null: when nothing answers at all, that layer is the one that failed
 * @param tunnel the id of the tunnel the URL goes through, or null; a check with entry layer {@code tunnel} and no
 *        tunnel of its own goes through any ({@code tunnel.connector.down} and {@code up} events concern it)
 * @param record of a dns check: the record type asked for ({@code A}, {@code AAAA}, {@code CNAME}, {@code MX},
 *        {@code TXT}, {@code NS}); {@code host} is the name asked about
 * @param expected of a dns check: values that must all be among the answers (lower case, without a final dot; an
 *        {@code MX} answer is its exchange's name), or empty: any answer will do
 * @param resolver of a dns check: the DNS server asked ({@code host} or {@code host:port}), or null: the first
 *        {@code nameserver} of {@code /etc/resolv.conf}
 * @param group the section of the status page the check is shown in, or null
 * @param statusPage whether the public sees it (status page, badges, the API without token); false for an internal
 *        check whose target is nobody else's business (a database port)
 * @param tlsDays a tls check (default 14), or an http check of an https URL that asks for it (default 0: not judged),
 *        fails with cause {@code certificate} when the certificate expires sooner than this many days
 * @param ignoreTlsErrors an http check of an https URL accepts any certificate (self-signed, expired, another name), as
 *        Uptime Kuma's "ignore TLS/SSL errors"; its expiry is still read, and judged when {@code tlsDays} asks
 * @param upsideDown the check is up when its probe fails and down when it succeeds, as Uptime Kuma's "upside down mode":
 *        a port or an admin address that must not answer from where the monitor stands
 * @param body the request body of an http check (a GraphQL or JSON health query, as Uptime Kuma's "body"), or null
 * @param database what a postgres, mysql or redis check connects to (and runs), or null
 * @param docker the container a docker check asks about and the engine it asks, or null
 * @param service of a grpc check: the service its server's health service is asked about ({@code ""}: the server as
 *        a whole), or null for other checks
 */
public record CheckSpec(String name, String type, URI url, String host, int port, String method, Map<String, String> headers,
        List<int[]> expectedStatus, String keyword, String keywordAbsent, String jsonPath, Duration maxLatency,
        boolean followRedirects, Duration interval, Duration timeout, int tlsDays, Duration pushPeriod, String pushToken,
        int failuresBeforeDown, int successesBeforeUp, String site, List<String> alerts, boolean alertOnStale,
        String entryLayer, String tunnel, String record, List<String> expected, String resolver, String group,
        boolean statusPage, boolean ignoreTlsErrors, boolean upsideDown, String body, Database database, Docker docker,
        String service) {

    public static final Set<String> TYPES = Set.of("http", "tcp", "tls", "dns", "push", "ping", "postgres", "mysql", "redis",
            "docker", "grpc");
    private static final String TYPE_LIST = "http, tcp, tls, dns, push, ping, postgres, mysql, redis, docker, grpc";

    /** The engine a docker check asks by default: the local one, on its socket. */
    public static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

    /**
     * A docker check's container, as Uptime Kuma's Docker Container monitor: its name or id, and the Docker engine's
     * API, {@code unix:///var/run/docker.sock} (the default), {@code tcp://host:port} or {@code http(s)://host:port}.
     *
     * @param socket the engine's unix socket, or null when it is reached over TCP at {@code base}
     * @param base {@code http(s)://host:port} of an engine reached over TCP, or null
     */
    public record Docker(String container, String dockerHost, String socket, URI base) {
    }

    /**
     * A database check's connection (and query), as Uptime Kuma's PostgreSQL, MySQL/MariaDB and Redis monitors:
     * {@code url} is {@code postgres://user[:password]@host[:port]/database[?sslmode=...]},
     * {@code mysql://user[:password]@host[:port]/database[?option=...]} ({@code mariadb://} too) or
     * {@code redis://[[user]:password@]host[:port][/index]} ({@code rediss://} over TLS), the password there or in
     * {@code password} (from the environment: {@code EDGESTACK_MONITOR_CHECKS_<NAME>_PASSWORD}); never shown (see
     * {@link #toString}).
     *
     * @param jdbcUrl the driver's URL, without user or password (null for redis)
     * @param user the user, or null (redis without one: the default user)
     * @param query the SQL a postgres or mysql check runs (null for redis, which sends PING)
     * @param shown the URL as summaries show it, without the password
     * @param tls redis over TLS ({@code rediss://})
     * @param index the redis database a redis check selects (0: the default, not selected)
     */
    public record Database(String jdbcUrl, String user, String password, String query, String shown, boolean tls, int index) {

        public Database(String jdbcUrl, String user, String password, String query, String shown) {
            this(jdbcUrl, user, password, query, shown, false, 0);
        }

        @Override
        public String toString() {
            return "Database[" + shown + (query == null ? "" : ", query=" + query) + "]";
        }
    }
    public static final Set<String> RECORDS = Set.of("A", "AAAA", "CNAME", "MX", "TXT", "NS");
    private static final Set<String> KEYS = Set.of("type", "url", "host", "port", "method", "expected-status", "keyword",
            "keyword-absent", "json-path", "max-latency", "follow-redirects", "interval", "timeout", "tls-days",
            "ignore-tls-errors", "upside-down", "container", "docker-host", "push-period", "push-token", "failures-before-down", "successes-before-up", "site", "alerts", "alert-on-stale",
            "entry-layer", "tunnel", "record", "expected", "resolver", "group", "status-page", "body", "query", "password",
            "service");

    /** A check's settings do not make a check: the message names the key and says what is wrong. */
    public static final class Invalid extends RuntimeException {
        public Invalid(String message) {
            super(message);
        }
    }

    /** Defaults that apply to every check that sets none. */
    public record Defaults(Duration interval, Duration timeout, int failuresBeforeDown, int successesBeforeUp) {
    }

    /**
     * @param prefix how keys are named in errors ({@code edgestack.monitor.checks.home.} or {@code home.} for the API)
     */
    public static CheckSpec parse(String name, Map<String, String> settings, Defaults defaults, String prefix) {
        if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}")) {
            throw new Invalid(prefix + ": the check name '" + name + "' must be 1-63 letters, digits, '.', '_' or '-'");
        }
        Reader r = new Reader(settings, prefix);
        for (String key : settings.keySet()) {
            if (!KEYS.contains(key) && !key.startsWith("header-")) {
                throw new Invalid(prefix + key + ": unknown key (known: " + String.join(", ", new TreeSet<>(KEYS))
                        + ", header-<Name>)");
            }
        }
        String given = settings.get("url");
        String type = r.text("type", given != null ? typeOfUrl(given) : settings.containsKey("push-period") ? "push"
                : settings.containsKey("container") ? "docker" : null);
        if (type == null) {
            throw new Invalid(prefix + "type: missing (one of " + TYPE_LIST + ")");
        }
        type = type.toLowerCase(Locale.ROOT);
        if (!TYPES.contains(type)) {
            throw new Invalid(prefix + "type: '" + type + "' is not one of " + TYPE_LIST);
        }
        URI url = null;
        String host = null;
        int port = 0;
        Database database = null;
        if (type.equals("postgres") || type.equals("mysql")) {
            database = database(r, settings, prefix, type);
            URI parsed = URI.create(settings.get("url").trim());
            host = parsed.getHost();
            port = parsed.getPort() > 0 ? parsed.getPort() : type.equals("mysql") ? 3306 : 5432;
        } else if (type.equals("redis")) {
            database = redis(r, settings, prefix);
            URI parsed = URI.create(settings.get("url").trim());
            host = parsed.getHost();
            port = parsed.getPort() > 0 ? parsed.getPort() : 6379;
            if (settings.containsKey("query")) {
                throw new Invalid(prefix + "query: only for a postgres or mysql check (a redis check sends PING)");
            }
        } else {
            for (String key : List.of("query", "password")) {
                if (settings.containsKey(key)) {
                    throw new Invalid(prefix + key + (key.equals("query") ? ": only for a postgres or mysql check"
                            : ": only for a postgres, mysql or redis check"));
                }
            }
        }
        if (type.equals("http") || (type.equals("tls") && settings.containsKey("url"))) {
            url = r.url("url");
            host = url.getHost();
            port = url.getPort() > 0 ? url.getPort() : url.getScheme().equals("https") ? 443 : 80;
        }
        String service = null;
        if (type.equals("grpc")) {
            url = r.grpcUrl("url");
            host = url.getHost();
            port = url.getPort() > 0 ? url.getPort() : url.getScheme().equals("grpcs") ? 443 : 80;
            service = r.text("service", "");
        } else if (settings.containsKey("service")) {
            throw new Invalid(prefix + "service: only for a grpc check");
        }
        if (type.equals("tcp") || (type.equals("tls") && url == null)) {
            host = r.required("host");
            port = r.integer("port", -1, 1, 65535);
            if (port < 0) {
                throw new Invalid(prefix + "port: missing (a " + type + " check needs host and port)");
            }
        }
        Docker docker = null;
        if (type.equals("docker")) {
            docker = docker(r, prefix);
            host = docker.container();
        } else {
            for (String key : List.of("container", "docker-host")) {
                if (settings.containsKey(key)) {
                    throw new Invalid(prefix + key + ": only for a docker check");
                }
            }
        }
        if (type.equals("ping")) {
            host = r.required("host");
            if (!host.matches("[A-Za-z0-9._:-]+") || host.startsWith("-")) { // a name or an address, never an option
                throw new Invalid(prefix + "host: '" + host + "' is not a host name or address");
            }
        }
        String record = null;
        List<String> expected = List.of();
        String resolver = null;
        if (type.equals("dns")) {
            host = r.required("host").toLowerCase(Locale.ROOT);
            if (host.endsWith(".")) {
                host = host.substring(0, host.length() - 1);
            }
            if (!host.matches("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*") || host.length() > 253) {
                throw new Invalid(prefix + "host: '" + host + "' is not a DNS name");
            }
            record = r.text("record", "A").toUpperCase(Locale.ROOT);
            if (!RECORDS.contains(record)) {
                throw new Invalid(prefix + "record: '" + record + "' is not one of " + String.join(", ", new TreeSet<>(RECORDS)));
            }
            String values = r.text("expected", null);
            if (values != null) {
                List<String> list = new ArrayList<>();
                for (String value : values.split(",")) {
                    if (!value.isBlank()) {
                        try {
                            list.add(normaliseAnswer(value, record));
                        } catch (IllegalArgumentException e) {
                            throw new Invalid(prefix + "expected: " + e.getMessage());
                        }
                    }
                }
                expected = List.copyOf(list);
            }
            resolver = r.text("resolver", null);
            if (resolver != null) {
                server(resolver, prefix);
            }
        } else {
            for (String key : List.of("record", "expected", "resolver")) {
                if (settings.containsKey(key)) {
                    throw new Invalid(prefix + key + ": only for a dns check");
                }
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        settings.forEach((key, value) -> {
            if (key.startsWith("header-")) {
                headers.put(key.substring("header-".length()), value);
            }
        });
        Duration interval = r.duration("interval", defaults.interval());
        if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new Invalid(prefix + "interval: " + interval.toMillis() + " ms is below the minimum of 1s");
        }
        Duration timeout = r.duration("timeout", defaults.timeout().compareTo(interval) > 0 ? interval : defaults.timeout());
        Duration pushPeriod = null;
        String pushToken = null;
        if (type.equals("push")) {
            pushPeriod = r.duration("push-period", null);
            if (pushPeriod == null) {
                throw new Invalid(prefix + "push-period: missing (how often the job pings, e.g. 5m)");
            }
            pushToken = r.required("push-token");
            // 10, as Uptime Kuma's own push tokens have had (JSHs372KL8): a job's Kuma URL works here as it is
            if (pushToken.length() < 10) {
                throw new Invalid(prefix + "push-token: must be at least 10 characters");
            }
        }
        boolean https = url != null && "https".equalsIgnoreCase(url.getScheme()) && type.equals("http");
        // an http check of an https URL takes tls-days only when asked (Uptime Kuma's certificate expiry notification)
        if (settings.containsKey("tls-days") && !type.equals("tls") && !https) {
            throw new Invalid(prefix + "tls-days: only for a tls check or an http check of an https URL");
        }
        boolean grpcs = type.equals("grpc") && url.getScheme().equals("grpcs");
        if (settings.containsKey("ignore-tls-errors") && !https && !grpcs && !(database != null && database.tls())) {
            throw new Invalid(prefix + "ignore-tls-errors: only for an http check of an https URL, a grpcs:// or a rediss:// check");
        }
        String body = r.text("body", null);
        if (body != null && !type.equals("http")) {
            throw new Invalid(prefix + "body: only for an http check");
        }
        String method = r.text("method", "GET").toUpperCase(Locale.ROOT);
        if (body != null && (method.equals("GET") || method.equals("HEAD"))) {
            throw new Invalid(prefix + "body: a " + method + " request carries none (method: POST, PUT, PATCH...)");
        }
        if (settings.containsKey("upside-down") && type.equals("push")) {
            throw new Invalid(prefix + "upside-down: not for a push check (its job reports in, or not)");
        }
        String jsonPath = r.text("json-path", null);
        if (jsonPath != null && !jsonPath.matches("\\$(\\.[A-Za-z0-9_-]+|\\[[0-9]+\\])*\\s*(==|!=)\\s*.+")) {
            throw new Invalid(prefix + "json-path: '" + jsonPath + "' is not of the form $.a.b == value (or !=)");
        }
        List<String> alerts = new ArrayList<>();
        String alertList = r.text("alerts", null);
        if (alertList != null) {
            for (String alert : alertList.split(",")) {
                if (!alert.isBlank()) {
                    alerts.add(alert.trim());
                }
            }
        }
        return new CheckSpec(name, type, url, host, port, method, Map.copyOf(headers),
                r.statuses("expected-status", "200-399"), r.text("keyword", null), r.text("keyword-absent", null), jsonPath,
                r.duration("max-latency", null), r.bool("follow-redirects", true), interval, timeout,
                r.integer("tls-days", type.equals("tls") ? 14 : 0, 0, 3650), pushPeriod, pushToken,
                r.integer("failures-before-down", defaults.failuresBeforeDown(), 1, 100),
                r.integer("successes-before-up", defaults.successesBeforeUp(), 1, 100), r.text("site", null), List.copyOf(alerts),
                r.bool("alert-on-stale", true), entryLayer(r.text("entry-layer", null), prefix), tunnel(r, prefix),
                record, expected, resolver, group(r.text("group", null), prefix), r.bool("status-page", true),
                r.bool("ignore-tls-errors", false), r.bool("upside-down", false), body, database, docker, service);
    }

    /** The type a check's URL implies when it names none: its scheme's ({@code postgres://}, ...), else http. */
    private static String typeOfUrl(String url) {
        String lower = url.trim().toLowerCase(Locale.ROOT);
        if (lower.startsWith("postgres://") || lower.startsWith("postgresql://")) {
            return "postgres";
        }
        if (lower.startsWith("mysql://") || lower.startsWith("mariadb://")) {
            return "mysql";
        }
        if (lower.startsWith("grpc://") || lower.startsWith("grpcs://")) {
            return "grpc";
        }
        return lower.startsWith("redis://") || lower.startsWith("rediss://") ? "redis" : "http";
    }

    /** A URL's user and password, decoded ({@code user:password}, {@code user}, {@code :password}). */
    private static String[] credentials(String userInfo) {
        int colon = userInfo.indexOf(':');
        String user = java.net.URLDecoder.decode(colon < 0 ? userInfo : userInfo.substring(0, colon), java.nio.charset.StandardCharsets.UTF_8);
        String password = colon < 0 ? null : java.net.URLDecoder.decode(userInfo.substring(colon + 1), java.nio.charset.StandardCharsets.UTF_8);
        return new String[] {user, password};
    }

    /** The password of the URL or of the {@code password} key (not both). */
    private static String password(String fromUrl, Map<String, String> settings, String prefix) {
        if (settings.containsKey("password")) {
            if (fromUrl != null) {
                throw new Invalid(prefix + "password: the url has one already: keep one");
            }
            return settings.get("password");
        }
        return fromUrl;
    }

    private static URI uri(String text) {
        try {
            return new URI(text);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static String hostPort(URI uri, int defaultPort) {
        return (uri.getHost().contains(":") && !uri.getHost().startsWith("[") ? "[" + uri.getHost() + "]" : uri.getHost())
                + ":" + (uri.getPort() > 0 ? uri.getPort() : defaultPort);
    }

    /** A docker check's container and engine. */
    private static Docker docker(Reader r, String prefix) {
        String container = r.required("container");
        if (!container.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}")) {
            throw new Invalid(prefix + "container: '" + container + "' is not a container name or id");
        }
        String dockerHost = r.text("docker-host", DEFAULT_DOCKER_HOST);
        URI uri = uri(dockerHost);
        String scheme = uri == null || uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("unix") && uri.getPath() != null && uri.getPath().length() > 1 && uri.getHost() == null) {
            return new Docker(container, dockerHost, uri.getPath(), null);
        }
        if ((scheme.equals("tcp") || scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null
                && uri.getPort() > 0 && (uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/"))) {
            return new Docker(container, dockerHost, null, URI.create((scheme.equals("https") ? "https" : "http") + "://"
                    + uri.getHost() + ":" + uri.getPort()));
        }
        throw new Invalid(prefix + "docker-host: '" + dockerHost + "' is not unix:///path/to/docker.sock, tcp://host:port "
                + "or http(s)://host:port");
    }

    /** A postgres or mysql check's URL, password and query; the messages never hold the password. */
    private static Database database(Reader r, Map<String, String> settings, String prefix, String type) {
        boolean mysql = type.equals("mysql");
        URI uri = uri(r.required("url").trim());
        String path = uri == null ? null : uri.getRawPath();
        String scheme = uri == null || uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        boolean schemeFits = mysql ? scheme.equals("mysql") || scheme.equals("mariadb")
                : scheme.equals("postgres") || scheme.equals("postgresql");
        if (uri == null || !schemeFits || uri.getHost() == null || uri.getRawUserInfo() == null || path == null
                || path.length() < 2 || path.indexOf('/', 1) >= 0) {
            throw new Invalid(prefix + "url: not " + (mysql ? "mysql" : "postgres") + "://user[:password]@host[:port]/database (as Uptime Kuma's)"
                    + (uri != null && uri.getRawUserInfo() == null ? ": the user is missing" : ""));
        }
        String[] credentials = credentials(uri.getRawUserInfo());
        String password = password(credentials[1], settings, prefix);
        String hostPort = hostPort(uri, mysql ? 3306 : 5432);
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        String sql = r.text("query", "SELECT 1");
        return new Database((mysql ? "jdbc:mariadb://" : "jdbc:postgresql://") + hostPort + path + query, credentials[0],
                password, sql, (mysql ? "mysql://" : "postgres://") + credentials[0] + "@" + hostPort + path + query);
    }

    /** A redis check's URL and password; the messages never hold the password. */
    private static Database redis(Reader r, Map<String, String> settings, String prefix) {
        URI uri = uri(r.required("url").trim());
        String path = uri == null ? null : uri.getRawPath();
        String scheme = uri == null || uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri == null || !(scheme.equals("redis") || scheme.equals("rediss")) || uri.getHost() == null
                || path != null && !path.isEmpty() && !path.matches("/[0-9]{0,5}") || uri.getRawQuery() != null) {
            throw new Invalid(prefix + "url: not redis://[[user]:password@]host[:port][/database number] (or rediss:// over TLS; as Uptime Kuma's)");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] credentials = credentials(uri.getRawUserInfo());
            user = credentials[0].isEmpty() ? null : credentials[0];
            password = credentials[1];
        }
        password = password(password, settings, prefix);
        if (user != null && password == null) {
            throw new Invalid(prefix + "url: the user " + user + " has no password (redis://user:password@host, or the "
                    + "password key; redis://:password@host for a password alone)");
        }
        int index = path == null || path.length() < 2 ? 0 : Integer.parseInt(path.substring(1));
        String hostPort = hostPort(uri, 6379);
        return new Database(null, user, password, null, scheme + "://" + (user == null ? "" : user + "@") + hostPort
                + (index == 0 ? "" : "/" + index), scheme.equals("rediss"), index);
    }

    /** The section of the status page the check is shown in (null: the checks without one, first). */
    private static String group(String group, String prefix) {
        if (group != null && (group.length() > 100 || group.chars().anyMatch(c -> c < 0x20))) {
            throw new Invalid(prefix + "group: at most 100 printable characters");
        }
        return group == null || group.isBlank() ? null : group.strip();
    }

    /** The DNS server a dns check asks. */
    public record Server(String host, int port) {
    }

    /**
     * A DNS answer (or an expected one) as compared: no final dot; names in lower case; addresses in Java's own form
     * (so that {@code 2001:db8::1} and {@code 2001:db8:0:0:0:0:0:1} are the same); TXT as it is.
     *
     * @throws IllegalArgumentException an A or AAAA value that is not an address of that kind
     */
    public static String normaliseAnswer(String value, String record) {
        String v = value.trim();
        if (v.endsWith(".") && !record.equals("TXT")) {
            v = v.substring(0, v.length() - 1);
        }
        if (record.equals("A") || record.equals("AAAA")) {
            boolean literal = record.equals("A") ? v.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}") : v.matches("[0-9a-fA-F:.]+") && v.contains(":");
            if (!literal) {
                throw new IllegalArgumentException("'" + v + "' is not an IPv" + (record.equals("A") ? "4" : "6") + " address");
            }
            try {
                return java.net.InetAddress.getByName(v).getHostAddress(); // a literal: nothing is looked up
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException("'" + v + "' is not an address");
            }
        }
        return record.equals("TXT") ? v : v.toLowerCase(Locale.ROOT);
    }

    /** The DNS server of {@code resolver}: {@code host}, {@code host:port} or {@code [v6]:port}; port 53 when none is given. */
    public static Server server(String resolver, String prefix) {
        String host = resolver;
        int port = 53;
        int colon = resolver.lastIndexOf(':');
        boolean bracketed = resolver.startsWith("[");
        if (bracketed || colon > 0 && resolver.indexOf(':') == colon) {
            int close = resolver.indexOf(']');
            String portText = bracketed ? (close > 0 && close + 1 < resolver.length() && resolver.charAt(close + 1) == ':'
                    ? resolver.substring(close + 2) : null) : resolver.substring(colon + 1);
            host = bracketed ? resolver.substring(1, Math.max(1, close)) : resolver.substring(0, colon);
            if (portText != null) {
                try {
                    port = Integer.parseInt(portText);
                } catch (NumberFormatException e) {
                    port = -1;
                }
            }
        }
        if (host.isBlank() || port < 1 || port > 65535) {
            throw new Invalid(prefix + "resolver: '" + resolver + "' is not host or host:port (like 1.1.1.1 or 127.0.0.1:5353)");
        }
        return new Server(host, port);
    }

    private static String tunnel(Reader r, String prefix) {
        String value = r.text("tunnel", null);
        if (value != null && !value.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            throw new Invalid(prefix + "tunnel: '" + value + "' is not a tunnel id (1-63 letters, digits, '.', '_' or '-')");
        }
        return value;
    }

    /**
     * Whether this check's URL goes through tunnel {@code id}: its own {@code tunnel}, or any tunnel when it enters by the
     * tunnel layer and names none.
     */
    public boolean through(String id) {
        return tunnel != null ? tunnel.equals(id) : Layers.TUNNEL.equals(entryLayer);
    }

    private static String entryLayer(String value, String prefix) {
        if (value == null || Set.of(Layers.TUNNEL, Layers.PROXY, Layers.ORIGIN).contains(value)) {
            return value;
        }
        throw new Invalid(prefix + "entry-layer: '" + value + "' is not one of tunnel, proxy, origin");
    }

    public boolean accepts(int status) {
        for (int[] range : expectedStatus) {
            if (status >= range[0] && status <= range[1]) {
                return true;
            }
        }
        return false;
    }

    /** Whether the check speaks TLS: a tls check, or an http check of an https URL. */
    public boolean usesTls() {
        return type.equals("tls") || (url != null && "https".equalsIgnoreCase(url.getScheme()));
    }

    /** What the check probes, for people: the URL, host:port, or "push". */
    public String target() {
        return switch (type) {
            case "http" -> url.toString();
            case "push" -> "push every " + pushPeriod.toSeconds() + " s";
            case "dns" -> record + " " + host + (resolver == null ? "" : " @" + resolver);
            case "ping" -> "ping " + host;
            case "grpc" -> url.getScheme() + "://" + host + ":" + port + (service.isEmpty() ? "" : " (" + service + ")");
            case "docker" -> "container " + host + (docker.dockerHost().equals(DEFAULT_DOCKER_HOST) ? "" : " on " + docker.dockerHost());
            default -> host + ":" + port;
        };
    }

    private record Reader(Map<String, String> settings, String prefix) {

        String text(String key, String fallback) {
            String value = settings.get(key);
            return value == null || value.isBlank() ? fallback : value.trim();
        }

        String required(String key) {
            String value = text(key, null);
            if (value == null) {
                throw new Invalid(prefix + key + ": missing");
            }
            return value;
        }

        URI url(String key) {
            String value = required(key);
            try {
                URI uri = new URI(value);
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                    throw new Invalid(prefix + key + ": '" + value + "' is not an http:// or https:// URL with a host");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw new Invalid(prefix + key + ": '" + value + "' is not a URL (" + e.getReason() + ")");
            }
        }

        /** A grpc check's {@code grpc://host[:port]} (HTTP/2 in clear text) or {@code grpcs://host[:port]} (over TLS). */
        URI grpcUrl(String key) {
            String value = required(key);
            try {
                URI uri = new URI(value);
                if (!("grpc".equals(uri.getScheme()) || "grpcs".equals(uri.getScheme())) || uri.getHost() == null
                        || uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
                    throw new Invalid(prefix + key + ": '" + value + "' is not a grpc://host:port or grpcs://host:port URL"
                            + " (the service is named by 'service')");
                }
                return uri;
            } catch (URISyntaxException e) {
                throw new Invalid(prefix + key + ": '" + value + "' is not a URL (" + e.getReason() + ")");
            }
        }

        int integer(String key, int fallback, int min, int max) {
            String value = text(key, null);
            if (value == null) {
                return fallback;
            }
            try {
                int number = Integer.parseInt(value);
                if (number < min || number > max) {
                    throw new Invalid(prefix + key + ": " + number + " is outside " + min + ".." + max);
                }
                return number;
            } catch (NumberFormatException e) {
                throw new Invalid(prefix + key + ": '" + value + "' is not a whole number");
            }
        }

        boolean bool(String key, boolean fallback) {
            String value = text(key, null);
            if (value == null) {
                return fallback;
            }
            if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                throw new Invalid(prefix + key + ": '" + value + "' is not true or false");
            }
            return Boolean.parseBoolean(value);
        }

        Duration duration(String key, Duration fallback) {
            String value = text(key, null);
            if (value == null) {
                return fallback;
            }
            try {
                if (value.matches("[0-9]+(ms|s|m|h|d)")) {
                    long n = Long.parseLong(value.replaceAll("[a-z]+$", ""));
                    return switch (value.replaceAll("^[0-9]+", "")) {
                        case "ms" -> Duration.ofMillis(n);
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "h" -> Duration.ofHours(n);
                        default -> Duration.ofDays(n);
                    };
                }
                return Duration.parse(value);
            } catch (DateTimeParseException | NumberFormatException e) {
                throw new Invalid(prefix + key + ": '" + value + "' is not a duration (like 500ms, 30s, 5m, 1h)");
            }
        }

        List<int[]> statuses(String key, String fallback) {
            String value = text(key, fallback);
            List<int[]> ranges = new ArrayList<>();
            for (String part : value.split(",")) {
                String p = part.trim();
                try {
                    int dash = p.indexOf('-');
                    int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
                    int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1).trim());
                    if (from < 100 || to > 599 || from > to) {
                        throw new NumberFormatException();
                    }
                    ranges.add(new int[] { from, to });
                } catch (NumberFormatException e) {
                    throw new Invalid(prefix + key + ": '" + p + "' is not a status or range between 100 and 599 (like 200,301-308)");
                }
            }
            return List.copyOf(ranges);
        }
    }
}
