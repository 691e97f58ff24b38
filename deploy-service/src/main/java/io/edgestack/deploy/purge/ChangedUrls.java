package io.edgestack.deploy.purge;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Maps the files that changed between two releases to the URL paths whose cached copies are now wrong, the way
 * proxy-service maps URLs to files: {@code index.html} → {@code /}; {@code blog/index.html} → {@code /blog/} and
 * {@code /blog}; {@code about.html} → {@code /about} and {@code /about.html}; a precompressed sidecar → its file. When
 * the mapping cannot be trusted (an error page changed, which any URL may show; too many files) the answer is empty:
 * purge everything.
 */
public final class ChangedUrls {

    private static final List<String> SIDECARS = List.of(".br", ".gz", ".zst");
    /** Files whose change reaches URLs that are not their own. */
    private static final Set<String> SITE_WIDE = Set.of("404.html", "50x.html", "_headers", "_redirects");

    private ChangedUrls() {
    }

    /** Paths to purge, or empty for "purge everything" (with the reason in {@code why}). */
    public static Optional<List<String>> paths(List<String> changedFiles, int max, StringBuilder why) {
        Set<String> paths = new LinkedHashSet<>();
        for (String file : changedFiles) {
            if (SITE_WIDE.contains(file)) {
                why.append(file).append(" changed and may be shown under any URL");
                return Optional.empty();
            }
            String served = file;
            for (String sidecar : SIDECARS) {
                if (served.endsWith(sidecar)) {
                    served = served.substring(0, served.length() - sidecar.length());
                    break;
                }
            }
            paths.addAll(urlsOf(served));
            if (paths.size() > max) {
                why.append("more than ").append(max).append(" changed URLs");
                return Optional.empty();
            }
        }
        return Optional.of(new ArrayList<>(paths));
    }

    /** Paths of HTML pages among {@code paths} (the ones worth re-warming): no file extension, or .html. */
    public static List<String> pages(List<String> paths) {
        List<String> pages = new ArrayList<>();
        for (String path : paths) {
            String last = path.substring(path.lastIndexOf('/') + 1);
            if (path.endsWith("/") || !last.contains(".")) {
                pages.add(path);
            }
        }
        return pages;
    }

    static List<String> urlsOf(String file) {
        if (file.equals("index.html")) {
            return List.of("/");
        }
        if (file.endsWith("/index.html")) {
            String dir = "/" + encode(file.substring(0, file.length() - "index.html".length()));
            return List.of(dir, dir.substring(0, dir.length() - 1));
        }
        if (file.endsWith(".html")) {
            String page = "/" + encode(file);
            return List.of(page.substring(0, page.length() - ".html".length()), page);
        }
        return List.of("/" + encode(file));
    }

    /** Percent-encodes what a URL path cannot hold (spaces, non-ASCII), keeping the slashes. */
    static String encode(String path) {
        try {
            return new URI(null, null, "/" + path, null).toASCIIString().substring(1);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("file name '" + path + "' cannot be a URL path", e);
        }
    }
}
