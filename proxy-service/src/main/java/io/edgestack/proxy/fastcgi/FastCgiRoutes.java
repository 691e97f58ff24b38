package io.edgestack.proxy.fastcgi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import io.edgestack.proxy.files.ReleaseFiles;
import io.edgestack.proxy.site.FastCgi;
import io.edgestack.proxy.site.Site;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

/**
 * The {@code fastcgi} routes: what a path of the site's live release is, decided as Caddy's {@code php_fastcgi} does
 * ({@code try_files {path} {path}/index.php index.php}), then run through the FastCGI server or handed to the static
 * files: a script ({@code /contact.php}, {@code /api.php/users/7} with path info) runs; a folder with an index script
 * runs it (a folder asked without its final slash is redirected to it first, 308); any other existing file is served as
 * a static file (a script's source never is); anything else runs the release's index script (a front controller), or
 * is the site's 404 when the release has none.
 */
public final class FastCgiRoutes {

    /** What a path is, in the live release. */
    record Resolution(Kind kind, Path release, String script, String pathInfo, String location) {

        enum Kind {
            SCRIPT,
            STATIC,
            REDIRECT
        }

        static Resolution script(Path release, String script, String pathInfo) {
            return new Resolution(Kind.SCRIPT, release, script, pathInfo, null);
        }

        static final Resolution STATIC = new Resolution(Kind.STATIC, null, null, null, null);
    }

    /** A path's resolution in a release, and when it was made (System.nanoTime). */
    private record Known(Path release, Resolution resolution, long at) {
    }

    /** Resolutions kept per site and path; emptied when it reaches this many (paths are the visitors' to choose). */
    static final int MAX_KNOWN = 10_000;

    private final Vertx vertx;
    private final ReleaseFiles files;
    private final NetClient client;
    private final FastCgiConnections connections = new FastCgiConnections();
    private final long checkNanos;
    private final Map<String, Known> known = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param checkNanos how long a path's resolution is used before the disk is asked again, as the static files'
     *        copies ({@code edgestack.proxy.files.check-interval}; 0: on every request)
     */
    public FastCgiRoutes(Vertx vertx, ReleaseFiles files, long checkNanos) {
        this.vertx = vertx;
        this.files = files;
        this.checkNanos = checkNanos;
        this.client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(60_000));
    }

    /**
     * Answers {@code request} for a {@code fastcgi} route.
     *
     * @param path the request's path, already cleaned
     * @param scheme and {@code host}, {@code client}: as the visitor used and is (see {@link FastCgiExchange#params})
     * @param statics serves the request as a static file of the release (an asset, a 404)
     */
    public void serve(HttpServerRequest request, Site site, FastCgi spec, String path, String scheme, String host, String client,
            long bodyLimit, Runnable statics) {
        String key = site.name() + "\n" + path;
        Path trusted = checkNanos > 0 ? files.trustedRelease(site.name(), checkNanos) : null;
        Known last = trusted == null ? null : known.get(key);
        if (last != null && last.release().equals(trusted) && System.nanoTime() - last.at() < checkNanos) {
            // decided less than check-interval ago in the release that is still live: no disk access, no worker
            answer(request, site, spec, last.resolution(), scheme, host, client, bodyLimit, statics);
            return;
        }
        request.pause();
        vertx.executeBlocking(() -> {
            Path release = files.liveRelease(site.name());
            Resolution resolution = resolve(release, path, spec);
            if (release != null && checkNanos > 0) {
                if (known.size() >= MAX_KNOWN) {
                    known.clear();
                }
                known.put(key, new Known(release, resolution, System.nanoTime()));
            }
            return resolution;
        }, false).onComplete(resolved -> answer(request, site, spec, resolved.succeeded() ? resolved.result() : Resolution.STATIC,
                scheme, host, client, bodyLimit, statics));
    }

    private void answer(HttpServerRequest request, Site site, FastCgi spec, Resolution resolution, String scheme, String host,
            String client, long bodyLimit, Runnable statics) {
        switch (resolution.kind()) {
            case STATIC -> {
                request.resume();
                statics.run();
            }
            case REDIRECT -> {
                request.resume();
                String query = request.query();
                request.response().setStatusCode(308).putHeader(HttpHeaders.LOCATION,
                        resolution.location() + (query == null ? "" : "?" + query)).end();
            }
            default -> {
                Map<String, String> params = FastCgiExchange.params(request, spec, resolution.release(), resolution.script(),
                        resolution.pathInfo(), scheme, host, client);
                new FastCgiExchange(vertx, this.client, connections, request, site, spec, files, bodyLimit, params).run();
            }
        }
    }

    /**
     * What {@code path} is in {@code release} (null: the site has no release yet, answered as static files would). The
     * split ({@code .php}) is found without regard to case, so that {@code /x.PHP} runs rather than being sent as text.
     */
    static Resolution resolve(Path release, String path, FastCgi spec) throws IOException {
        if (release == null) {
            return Resolution.STATIC;
        }
        String lower = path.toLowerCase(Locale.ROOT);
        String split = spec.split().toLowerCase(Locale.ROOT);
        for (int at = lower.indexOf(split); at >= 0; at = lower.indexOf(split, at + 1)) {
            int end = at + split.length();
            if (end == path.length() || path.charAt(end) == '/') {
                String script = path.substring(0, end);
                if (isFile(release, script)) {
                    return Resolution.script(release, script, path.substring(end));
                }
                return frontController(release, spec); // a script that is not there: never its path as a file
            }
        }
        Path target = inside(release, path);
        if (target != null && Files.isDirectory(target)) {
            String folder = path.endsWith("/") ? path : path + "/";
            if (isFile(release, folder + spec.index())) {
                return path.endsWith("/") ? Resolution.script(release, folder + spec.index(), "")
                        : new Resolution(Resolution.Kind.REDIRECT, release, null, null, folder);
            }
            return Resolution.STATIC;
        }
        if (target != null && Files.isRegularFile(target)) {
            return Resolution.STATIC;
        }
        return frontController(release, spec);
    }

    private static Resolution frontController(Path release, FastCgi spec) throws IOException {
        String script = "/" + spec.index();
        return isFile(release, script) ? Resolution.script(release, script, "") : Resolution.STATIC;
    }

    private static boolean isFile(Path release, String path) throws IOException {
        Path file = inside(release, path);
        return file != null && Files.isRegularFile(file);
    }

    /** The file of {@code path} in the release, when it is there and, links followed, still inside it; else null. */
    private static Path inside(Path release, String path) throws IOException {
        Path file = release.resolve(path.substring(1)).normalize();
        if (!file.startsWith(release)) {
            return null;
        }
        for (Path part = release.relativize(file); part != null; part = part.getParent()) {
            if (part.getFileName() != null && part.getFileName().toString().startsWith(".")) {
                return null; // .git, .env: never run nor served
            }
        }
        try { // one call that also says whether it is there (a missing file, a dangling link: NoSuchFileException)
            Path real = file.toRealPath();
            return real.startsWith(release) ? real : null;
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
    }
}
