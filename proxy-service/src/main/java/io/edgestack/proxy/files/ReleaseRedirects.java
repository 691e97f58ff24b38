package io.edgestack.proxy.files;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.edgestack.proxy.site.Redirects;

/**
 * The {@code _redirects} file at the root of a release, in the format of Netlify and Cloudflare Pages, so that a site
 * carries its own redirects from one deploy to the next: one rule a line, {@code from to [status][!]}, {@code #}
 * comments and blank lines skipped; {@code from} a path with {@code :placeholders} (one segment each) and a splat
 * ({@code *}), filled into {@code to} ({@code :splat} for the splat); the first rule that matches, in the file's order,
 * applies. Statuses: 301 (default), 302, 303, 307 and 308 redirect, wherever a file is; 200 rewrites to a path of the
 * release (or, to an http(s) URL, proxies the request there, to an origin the site's {@code rewrite-origins} allows) and
 * 404, 410 and 451 serve one with that status, all only where no file answers the path unless forced with a final
 * {@code !} ({@code /* /index.html 200}: a single-page app's fallback). Query conditions between from and to
 * ({@code /store id=:id /blog/:id}) restrict a rule to requests with those parameters, and a {@code Language=fr,de}
 * condition after the status to visitors whose Accept-Language asks for one. What this server does not do is
 * skipped, each line with a warning that names the release and the line:
 * conditions on the country, role or cookies, and domain-level rules. The file itself is never served. It is read with its release,
 * and again when it is edited in place (its modification time or size changed), as any file of a release.
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
        String from = fields[0];
        if (!from.startsWith("/")) {
            throw new IllegalArgumentException("domain-level rules are not supported: from must be a path");
        }
        // query conditions between from and to: /store id=:id /blog/:id
        int i = 1;
        List<Redirects.QueryCondition> query = new ArrayList<>();
        while (i < fields.length && fields[i].indexOf('=') > 0 && !fields[i].startsWith("/") && !fields[i].startsWith("http")) {
            query.add(Redirects.QueryCondition.parse(fields[i++]));
        }
        if (i >= fields.length) {
            throw new IllegalArgumentException("a redirect needs a from and a to");
        }
        String to = fields[i++];
        int status = 301;
        boolean force = false;
        if (i < fields.length) {
            force = fields[i].endsWith("!");
            String code = force ? fields[i].substring(0, fields[i].length() - 1) : fields[i];
            if (!code.matches("[0-9]{3}")) {
                throw new IllegalArgumentException("'" + fields[i] + "' is not a status (conditions such as Language=fr "
                        + "come after it)");
            }
            status = Integer.parseInt(code);
            i++;
        }
        List<String> languages = new ArrayList<>();
        for (; i < fields.length; i++) {
            int equals = fields[i].indexOf('=');
            String name = equals < 0 ? fields[i] : fields[i].substring(0, equals);
            if (!name.equalsIgnoreCase("Language") || equals == fields[i].length() - 1) {
                throw new IllegalArgumentException("conditions on the country, role or cookies are not supported"
                        + (name.equalsIgnoreCase("Language") ? " (Language=fr,de names its languages)" : ""));
            }
            for (String language : fields[i].substring(equals + 1).split(",")) {
                String tag = language.trim().toLowerCase(java.util.Locale.ROOT);
                if (!tag.matches("[a-z]{1,8}(-[a-z0-9]{1,8})*")) {
                    throw new IllegalArgumentException("Language: '" + language + "' is not a language tag (fr, pt-br)");
                }
                languages.add(tag);
            }
        }
        return Redirects.releaseRule(from, to, status, force, query, languages);
    }
}
