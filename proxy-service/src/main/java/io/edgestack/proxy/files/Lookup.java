package io.edgestack.proxy.files;

import java.nio.file.Path;
import java.util.List;

/**
 * What a request path maps to in a site's live release, found on a worker thread.
 *
 * @param file the file to send (the chosen encoded variant for FILE, the site's 404.html or null for NOT_FOUND)
 * @param encoding the content coding of {@code file} ({@code br}, {@code zstd}, {@code gzip}) or null
 * @param varies whether encoded variants exist, so that responses carry {@code Vary: Accept-Encoding}
 * @param location where a REDIRECT points; for PROXY, the URL the request is proxied to (the release's rule filled in)
 * @param source for FILE, the identity file (real path) whatever variant was chosen
 * @param sourceSize its size
 * @param sidecars the codings of its precompressed sidecars, in the server's order of preference
 * @param root the live release folder (real path) the lookup was made in, or null
 * @param status for REDIRECT, its status (301 for a folder's trailing slash, or the release's {@code _redirects}); for
 *        NOT_FOUND, 404 or the status of the release's rule (410, 451)
 * @param path for FILE, the path whose file it is: the request's, or where a rewrite of {@code _redirects} led
 */
public record Lookup(Kind kind, Path file, long size, long modifiedMillis, String encoding, boolean varies, String location,
        String release, Path source, long sourceSize, List<String> sidecars, Path root, int status, String path) {

    public enum Kind {
        FILE,
        REDIRECT,
        NOT_FOUND,
        NO_RELEASE,
        /** A {@code _redirects} rule proxies the request to another host ({@code 200} to a URL). */
        PROXY
    }

    static Lookup noRelease() {
        return new Lookup(Kind.NO_RELEASE, null, 0, 0, null, false, null, null, null, 0, List.of(), null, 0, null);
    }

    static Lookup notFound(Path page, long size, String release) {
        return notFound(page, size, release, 404);
    }

    /** A page (or none: the built-in one) answered with {@code status}: 404, or a release's 410 or 451. */
    static Lookup notFound(Path page, long size, String release, int status) {
        return new Lookup(Kind.NOT_FOUND, page, size, 0, null, false, null, release, null, 0, List.of(), null, status, null);
    }

    static Lookup redirect(String location, String release) {
        return redirect(location, release, 301);
    }

    static Lookup proxy(String url, String release) {
        return new Lookup(Kind.PROXY, null, 0, 0, null, false, url, release, null, 0, List.of(), null, 200, null);
    }

    static Lookup redirect(String location, String release, int status) {
        return new Lookup(Kind.REDIRECT, null, 0, 0, null, false, location, release, null, 0, List.of(), null, status, null);
    }
}
