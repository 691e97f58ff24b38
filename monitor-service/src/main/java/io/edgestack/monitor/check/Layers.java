package io.edgestack.monitor.check;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which layer of the suite failed, read from what the layers say about themselves in an answer: {@code Proxy-Status}
 * (RFC 9209), set by the tunnel edge ({@code edgestack-edge}) and proxy-service ({@code edgestack-proxy}) on answers
 * they make up because the next hop failed, and {@code Cache-Status} (RFC 9211), which says when the cache answered
 * with a stale copy because the origin failed.
 *
 * <ul>
 * <li>{@code tunnel}: the edge has no connector for the site ({@code edgestack-edge; error=destination_unavailable});</li>
 * <li>{@code proxy}: the connector could not get an answer from its origin, proxy-service (any other edge error);</li>
 * <li>{@code origin}: proxy-service could not get an answer from the upstream application, or the site itself answered
 * with a server error.</li>
 * </ul>
 */
public final class Layers {

    public static final String TUNNEL = "tunnel";
    public static final String PROXY = "proxy";
    public static final String ORIGIN = "origin";

    static final String EDGE_NAME = "edgestack-edge";
    static final String PROXY_NAME = "edgestack-proxy";

    private Layers() {
    }

    /** One member of a {@code Proxy-Status} list: the intermediary's name and its parameters. */
    record Member(String name, Map<String, String> params) {
    }

    /**
     * The failing layer, or null when the answer does not say (no answer at all, or not through the suite).
     *
     * @param status the HTTP status (0 when nothing came back)
     */
    public static String failed(int status, String proxyStatus, String cacheStatus) {
        for (Member member : members(proxyStatus)) {
            String error = member.params().get("error");
            if (error == null) {
                continue;
            }
            if (member.name().equals(EDGE_NAME)) {
                return error.equals("destination_unavailable") ? TUNNEL : PROXY;
            }
            if (member.name().equals(PROXY_NAME)) {
                return ORIGIN;
            }
        }
        boolean throughSuite = proxyStatus != null || (cacheStatus != null && cacheStatus.contains("edgestack"));
        return status >= 500 && throughSuite ? ORIGIN : null;
    }

    /**
     * Why the cache answered with a stale copy because the origin failed ({@code origin-unreachable},
     * {@code origin-error}, with the origin's status when known), or null when the answer is not such a copy. A copy
     * served within {@code stale-while-revalidate} is normal caching and does not count.
     */
    public static String staleBecauseOriginFailed(String cacheStatus) {
        for (Member member : members(cacheStatus)) {
            Map<String, String> params = member.params();
            if (!"stale".equals(params.get("fwd"))) {
                continue;
            }
            String detail = params.get("detail");
            String fwdStatus = params.get("fwd-status");
            boolean originFailed = detail != null && detail.startsWith("origin-")
                    || fwdStatus != null && fwdStatus.length() == 3 && fwdStatus.charAt(0) == '5';
            if (originFailed) {
                return (detail == null ? "origin-error" : detail) + (fwdStatus == null ? "" : " (" + fwdStatus + ")");
            }
        }
        return null;
    }

    /** The members of a structured-field list ({@code name; key=value; flag, name2; ...}), quoted strings respected. */
    static List<Member> members(String header) {
        List<Member> out = new ArrayList<>();
        if (header == null || header.isBlank()) {
            return out;
        }
        for (String item : split(header, ',')) {
            List<String> parts = split(item, ';');
            if (parts.isEmpty() || parts.get(0).isBlank()) {
                continue;
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (String param : parts.subList(1, parts.size())) {
                int eq = param.indexOf('=');
                String key = (eq < 0 ? param : param.substring(0, eq)).trim().toLowerCase(Locale.ROOT);
                String value = eq < 0 ? "?1" : unquote(param.substring(eq + 1).trim());
                if (!key.isEmpty()) {
                    params.put(key, value);
                }
            }
            out.add(new Member(unquote(parts.get(0).trim()), params));
        }
        return out;
    }

    private static List<String> split(String text, char separator) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted && c == '\\' && i + 1 < text.length()) {
                current.append(c).append(text.charAt(++i));
                continue;
            }
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == separator && !quoted) {
                out.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        out.add(current.toString());
        return out;
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && value.charAt(0) == '"' && value.charAt(value.length() - 1) == '"') {
            return value.substring(1, value.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
        }
        return value;
    }
}
