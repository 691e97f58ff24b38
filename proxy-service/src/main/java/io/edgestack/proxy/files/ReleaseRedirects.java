package io.edgestack.proxy.files;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.edgestack.proxy.site.Redirects;

/**
 * The {@code _redirects} file at the root of a release, in the format of Netlify and Cloudflare Pages, so that a site
 * carries its own redirects from one deploy to the next: one redirect a line, {@code from to [status]}, {@code #}
 * comments and blank lines skipped; {@code from} a path or a prefix ending in {@code *} ({@code :splat} in {@code to}),
 * the status 301 (default), 302, 303, 307 or 308, a final {@code !} accepted (a redirect here always applies, as
 * Netlify's forced ones). What this server does not do is skipped, each line with a warning that names the release and
 * the line: rewrites and proxying (status 200), custom 404s, named placeholders ({@code :slug}), conditions on the query,
 * country or language, and domain-level rules. The file itself is never served. It is read with its release, and again
 * when it is edited in place (its modification time or size changed), as any file of a release.
 */
final class ReleaseRedirects {

    static final String FILE = "_redirects";

    private ReleaseRedirects() {
    }

    /** The redirects of {@code release}'s {@code _redirects}, or none when it has no such file (or it cannot be read). */
    static Redirects read(Path release) {
        List<String> lines = ReleaseFile.lines(release, FILE);
        List<Redirects.Rule> rules = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                rules.add(parse(line));
            } catch (IllegalArgumentException e) {
                ReleaseFile.skipped(release, FILE, i, e.getMessage(), line);
            }
        }
        if (rules.isEmpty()) {
            return Redirects.NONE;
        }
        ReleaseFile.read(release, FILE, rules.size() + " redirect(s)");
        return new Redirects(rules);
    }

    /** One line; the exception says what this server does not do with it. */
    static Redirects.Rule parse(String line) {
        int hash = line.indexOf(" #");
        String[] fields = (hash < 0 ? line : line.substring(0, hash)).trim().split("\\s+");
        if (fields.length < 2) {
            throw new IllegalArgumentException("a redirect needs a from and a to");
        }
        String from = fields[0];
        String to = fields[1];
        if (!from.startsWith("/")) {
            throw new IllegalArgumentException("domain-level rules are not supported: from must be a path");
        }
        if (from.matches(".*/:[A-Za-z].*") || to.matches(".*:(?!splat)[A-Za-z]+.*") && to.startsWith("/")) {
            throw new IllegalArgumentException("named placeholders are not supported, only * and :splat");
        }
        int status = 301;
        if (fields.length >= 3) {
            String code = fields[2].endsWith("!") ? fields[2].substring(0, fields[2].length() - 1) : fields[2];
            if (!code.matches("[0-9]{3}")) {
                throw new IllegalArgumentException("conditions on the query, country or language are not supported");
            }
            status = Integer.parseInt(code);
            if (status == 200) {
                throw new IllegalArgumentException("rewrites and proxying (200) are not supported");
            }
        }
        if (fields.length > 3) {
            throw new IllegalArgumentException("conditions after the status are not supported");
        }
        return Redirects.rule(from, to, status);
    }
}
