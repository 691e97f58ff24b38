package io.edgestack.proxy.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Turns the raw request path into a decoded path that is safe to map onto a folder, or refuses it: dot segments,
 * encoded and double-encoded separators and dots, NUL bytes, backslashes and malformed escapes are all refused.
 */
public final class PathGuard {

    public static final class BadPath extends Exception {
        public BadPath(String message) {
            super(message, null, false, false);
        }
    }

    private PathGuard() {
    }

    public static String clean(String raw) throws BadPath {
        if (raw == null || raw.isEmpty() || raw.charAt(0) != '/') {
            throw new BadPath("the path must start with '/'");
        }
        if (plain(raw)) {
            return raw; // the common case: what the rules below would give back unchanged
        }
        String decoded = decode(raw);
        String lower = decoded.toLowerCase(Locale.ROOT);
        if (lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00")
                || lower.contains("%25")) {
            throw new BadPath("double-encoded characters are not allowed in paths");
        }
        if (decoded.indexOf('\\') >= 0 || decoded.indexOf('\0') >= 0) {
            throw new BadPath("backslashes and NUL bytes are not allowed in paths");
        }
        StringBuilder clean = new StringBuilder(decoded.length());
        for (String segment : decoded.split("/", -1)) {
            if (segment.equals("..") || segment.equals(".")) {
                throw new BadPath("'.' and '..' segments are not allowed in paths");
            }
            if (!segment.isEmpty()) {
                clean.append('/').append(segment);
            }
        }
        if (decoded.endsWith("/") || clean.length() == 0) {
            clean.append('/');
        }
        return clean.toString();
    }

    /** No escapes, backslashes or NULs, and no empty, '.' or '..' segments but a last empty one. */
    private static boolean plain(String raw) {
        int length = raw.length();
        for (int i = 0; i < length; i++) {
            char c = raw.charAt(i);
            if (c == '%' || c == '\\' || c == '\0') {
                return false;
            }
            if (c == '/' && i + 1 < length) {
                char next = raw.charAt(i + 1);
                if (next == '/' || next == '.' && dotSegment(raw, i + 1)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean dotSegment(String raw, int start) {
        int end = raw.indexOf('/', start);
        int length = (end < 0 ? raw.length() : end) - start;
        return length == 1 || length == 2 && raw.charAt(start + 1) == '.';
    }

    private static String decode(String raw) throws BadPath {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw new BadPath("malformed percent-escape in path");
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new BadPath("malformed percent-escape in path");
                }
                bytes.write(hi * 16 + lo);
                i += 2;
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
