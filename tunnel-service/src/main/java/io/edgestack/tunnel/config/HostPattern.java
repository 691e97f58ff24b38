package io.edgestack.tunnel.config;

import java.util.Locale;

/**
 * A host name pattern: an exact name, {@code *.example.com} (any name below example.com, not example.com itself), or
 * {@code *} (any host). Matching ignores case and a port.
 */
public record HostPattern(String pattern) {

    public static HostPattern parse(String key, String text) {
        String value = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        boolean valid = value.equals("*") || value.matches("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");
        if (!valid) {
            throw new IllegalArgumentException(key + ": '" + text
                    + "' is not a host name pattern (examples: www.example.com, *.example.com, *)");
        }
        return new HostPattern(value);
    }

    /** {@code name} as {@link #normalise(String)} gives it: callers normalise a request's host once. */
    public boolean matches(String name) {
        if (pattern.equals("*")) {
            return true;
        }
        if (pattern.startsWith("*.")) {
            return name.endsWith(pattern.substring(1)) && name.length() > pattern.length() - 1;
        }
        return name.equals(pattern);
    }

    /** Exact names first, then wildcards by length, then {@code *}. */
    public int specificity() {
        if (pattern.equals("*")) {
            return 0;
        }
        return pattern.startsWith("*.") ? pattern.length() : 10_000 + pattern.length();
    }

    /** Lower case, without port or a trailing dot; IPv6 literals keep their brackets. */
    public static String normalise(String authority) {
        if (authority == null) {
            return "";
        }
        String host = authority.trim().toLowerCase(Locale.ROOT);
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end > 0 ? host.substring(0, end + 1) : host;
        }
        int colon = host.indexOf(':');
        if (colon >= 0) {
            host = host.substring(0, colon);
        }
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }
}
