package io.edgestack.proxy.files;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import io.edgestack.proxy.http.HeaderNames;
import io.vertx.core.MultiMap;

/**
 * The {@code _headers} file at the root of a release, in the format of Netlify and Cloudflare Pages: a path pattern on a
 * line of its own ({@code *} matches anything, {@code :name} one segment), then its headers indented below it,
 * {@code Name: value} to set one and {@code ! Name} to remove one. Every block whose pattern matches a path applies, in
 * the file's order; a header set by several is joined with ", ". They apply to the release's files (and its 304s), after
 * the sites file's Cache-Control rule and before the site's security headers, which only fill in what is not set.
 * Headers that frame the answer ({@code Content-Length}, {@code Transfer-Encoding}, {@code Content-Encoding},
 * {@code Connection} and the other hop-by-hop ones) are skipped with a warning naming the release and the line, as are
 * malformed lines. The file itself is never served.
 */
final class ReleaseHeaders {

    static final String FILE = "_headers";
    static final ReleaseHeaders NONE = new ReleaseHeaders(List.of());

    private static final Set<String> REFUSED = Set.of("content-length", "transfer-encoding", "content-encoding", "connection",
            "keep-alive", "upgrade", "te", "trailer", "proxy-connection", "content-range");

    /** One block: the paths it matches, the headers it sets (name, value) and removes (name, null). */
    record Rule(Pattern path, List<String[]> headers) {
    }

    private final List<Rule> rules;

    ReleaseHeaders(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    boolean isEmpty() {
        return rules.isEmpty();
    }

    /** Applies the blocks matching {@code path} (cleaned) to an answer's headers. */
    void apply(String path, MultiMap headers) {
        Map<String, String> set = null;
        for (Rule rule : rules) {
            if (!rule.path().matcher(path).matches()) {
                continue;
            }
            for (String[] header : rule.headers()) {
                if (set == null) {
                    set = new LinkedHashMap<>();
                }
                String key = header[0].toLowerCase(Locale.ROOT);
                if (header[1] == null) {
                    set.put(key, null);
                    headers.remove(header[0]);
                } else {
                    String before = set.get(key);
                    String value = before == null ? header[1] : before + ", " + header[1];
                    set.put(key, value);
                    headers.set(header[0], value);
                }
            }
        }
    }

    /** The headers of {@code release}'s {@code _headers}, or none when it has none (or it cannot be read). */
    static ReleaseHeaders read(Path release) {
        List<String> lines = ReleaseFile.lines(release, FILE);
        List<Rule> rules = new ArrayList<>();
        Pattern path = null;
        List<String[]> headers = null;
        for (int i = 0; i < lines.size(); i++) {
            String raw = lines.get(i);
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            boolean indented = Character.isWhitespace(raw.charAt(0));
            if (!indented) {
                if (path != null && !headers.isEmpty()) {
                    rules.add(new Rule(path, List.copyOf(headers)));
                }
                path = null;
                headers = new ArrayList<>();
                if (!line.startsWith("/")) {
                    ReleaseFile.skipped(release, FILE, i, "a block starts with a path", line);
                    continue;
                }
                path = pattern(line);
                continue;
            }
            if (path == null) {
                ReleaseFile.skipped(release, FILE, i, "a header outside a path's block", line);
                continue;
            }
            String[] header = header(line);
            if (header == null) {
                ReleaseFile.skipped(release, FILE, i, "not 'Name: value' or '! Name'", line);
            } else if (REFUSED.contains(header[0].toLowerCase(Locale.ROOT))) {
                ReleaseFile.skipped(release, FILE, i, header[0] + " frames the answer: the server sets it", line);
            } else {
                headers.add(header);
            }
        }
        if (path != null && !headers.isEmpty()) {
            rules.add(new Rule(path, List.copyOf(headers)));
        }
        if (rules.isEmpty()) {
            return NONE;
        }
        ReleaseFile.read(release, FILE, "header rules for " + rules.size() + " path pattern(s)");
        return new ReleaseHeaders(rules);
    }

    /** A path pattern: {@code *} anything, {@code :name} one segment, the rest as written. */
    static Pattern pattern(String path) {
        StringBuilder regex = new StringBuilder();
        int i = 0;
        while (i < path.length()) {
            char c = path.charAt(i);
            if (c == '*') {
                regex.append(".*");
                i++;
            } else if (c == ':' && i + 1 < path.length() && Character.isLetter(path.charAt(i + 1))) {
                int end = i + 1;
                while (end < path.length() && (Character.isLetterOrDigit(path.charAt(end)) || path.charAt(end) == '_')) {
                    end++;
                }
                regex.append("[^/]+");
                i = end;
            } else {
                int end = i;
                while (end < path.length() && path.charAt(end) != '*' && !(path.charAt(end) == ':' && end + 1 < path.length()
                        && Character.isLetter(path.charAt(end + 1)))) {
                    end++;
                }
                regex.append(Pattern.quote(path.substring(i, end)));
                i = end;
            }
        }
        return Pattern.compile(regex.toString());
    }

    private static String[] header(String line) {
        if (line.startsWith("!")) {
            String name = line.substring(1).strip();
            return HeaderNames.TOKEN.matcher(name).matches() ? new String[] { name, null } : null;
        }
        int colon = line.indexOf(':');
        if (colon <= 0) {
            return null;
        }
        String name = line.substring(0, colon).strip();
        String value = line.substring(colon + 1).strip();
        if (!HeaderNames.TOKEN.matcher(name).matches() || value.isEmpty() || !HeaderNames.printable(value)) {
            return null;
        }
        return new String[] { name, value };
    }
}
