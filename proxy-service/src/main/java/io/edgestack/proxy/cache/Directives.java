package io.edgestack.proxy.cache;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Cache-Control directives (RFC 9111 §5.2): names lower-cased, values unquoted; commas inside quoted values are kept.
 */
final class Directives {

    private final Map<String, String> values;

    private Directives(Map<String, String> values) {
        this.values = values;
    }

    static Directives parse(List<String> headers) {
        Map<String, String> values = new HashMap<>();
        for (String header : headers) {
            int i = 0;
            int n = header.length();
            while (i < n) {
                while (i < n && (header.charAt(i) == ',' || header.charAt(i) == ' ' || header.charAt(i) == '\t')) {
                    i++;
                }
                int start = i;
                while (i < n && header.charAt(i) != '=' && header.charAt(i) != ',') {
                    i++;
                }
                String name = header.substring(start, i).trim().toLowerCase(Locale.ROOT);
                String value = null;
                if (i < n && header.charAt(i) == '=') {
                    i++;
                    if (i < n && header.charAt(i) == '"') {
                        int close = header.indexOf('"', i + 1);
                        close = close < 0 ? n : close;
                        value = header.substring(i + 1, close);
                        i = Math.min(n, close + 1);
                        while (i < n && header.charAt(i) != ',') {
                            i++;
                        }
                    } else {
                        int end = header.indexOf(',', i);
                        end = end < 0 ? n : end;
                        value = header.substring(i, end).trim();
                        i = end;
                    }
                }
                if (!name.isEmpty()) {
                    values.putIfAbsent(name, value);
                }
            }
        }
        return new Directives(values);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    /** A delta-seconds directive, or -1 when absent or malformed (a malformed one counts as absent). */
    long seconds(String name) {
        String value = values.get(name);
        if (value == null) {
            return -1;
        }
        try {
            long seconds = Long.parseLong(value.trim());
            return seconds < 0 ? -1 : seconds;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
