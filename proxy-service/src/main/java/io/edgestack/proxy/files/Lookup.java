package io.edgestack.proxy.files;

import java.nio.file.Path;

/**
 * What a request path maps to in a site's live release, found on a worker thread.
 *
 * @param file the file to send (the chosen encoded variant for FILE, the site's 404.html or null for NOT_FOUND)
 * @param encoding the content coding of {@code file} ({@code br}, {@code zstd}, {@code gzip}) or null
 * @param varies whether encoded variants exist, so that responses carry {@code Vary: Accept-Encoding}
 * @param location where a REDIRECT points
 */
public record Lookup(Kind kind, Path file, long size, long modifiedMillis, String encoding, boolean varies, String location,
        String release) {

    public enum Kind {
        FILE,
        REDIRECT,
        NOT_FOUND,
        NO_RELEASE
    }

    static Lookup noRelease() {
        return new Lookup(Kind.NO_RELEASE, null, 0, 0, null, false, null, null);
    }

    static Lookup notFound(Path page, long size, String release) {
        return new Lookup(Kind.NOT_FOUND, page, size, 0, null, false, null, release);
    }

    static Lookup redirect(String location, String release) {
        return new Lookup(Kind.REDIRECT, null, 0, 0, null, false, location, release);
    }
}
