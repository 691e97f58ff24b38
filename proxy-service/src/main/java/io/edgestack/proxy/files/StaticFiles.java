package io.edgestack.proxy.files;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.edgestack.proxy.config.ProxyConfig;
import io.edgestack.proxy.http.CompressionPolicy;
import io.edgestack.proxy.http.ErrorPages;
import io.edgestack.proxy.http.HttpDate;
import io.edgestack.proxy.site.Redirects;
import io.edgestack.proxy.site.Site;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * Serves a site's live release. Small files are answered from memory on the event loop ({@link HotFiles}) while the
 * last check of the release pointer and of the file is younger than {@code edgestack.proxy.files.check-interval};
 * otherwise the file-system work (pointer, stat, sidecars) runs on a worker thread, and the answer (headers, 304,
 * ranges, the bytes from memory or a zero-copy send) is written from the event loop.
 */
@Singleton
public class StaticFiles {

    private static final Logger LOG = Logger.getLogger(StaticFiles.class);

    /** What the worker found: the lookup, and the copy in memory when it is still right. */
    /** @param language whether the answer depends on Accept-Language (a {@code _redirects} language rule matches the path) */
    private record Found(Lookup lookup, HotFile hot, boolean load, List<ReleaseFiles.Entry> listing, boolean language) {

        Found(Lookup lookup, HotFile hot, boolean load, List<ReleaseFiles.Entry> listing) {
            this(lookup, hot, load, listing, false);
        }

        Found(Lookup lookup, HotFile hot, boolean load) {
            this(lookup, hot, load, null, false);
        }
    }

    /** One representation to send, from memory ({@code body}) or from a file. */
    private record Representation(String contentType, String etag, long modifiedMillis, String lastModified,
            String coding, boolean varies, long size, Buffer body, String file) {
    }

    /** What {@link #send} says of a file, taken back when the file cannot be sent after all. */
    private static final CharSequence[] REPRESENTATION = {HttpHeaders.CONTENT_LENGTH, HttpHeaders.CONTENT_RANGE,
            HttpHeaders.CONTENT_ENCODING, HttpHeaders.ETAG, HttpHeaders.LAST_MODIFIED, HttpHeaders.ACCEPT_RANGES};

    private final Vertx vertx;
    private final ReleaseFiles files;
    private final HotFiles hotFiles;
    private final int minSize;
    private final long checkNanos;
    private final Counter hits;
    private final Counter misses;

    public StaticFiles(ProxyConfig config, Vertx vertx, MeterRegistry registry,
            @ConfigProperty(name = "quarkus.http.enable-compression", defaultValue = "false") boolean compression) {
        this.vertx = vertx;
        this.files = new ReleaseFiles(config.releasesRoot());
        // With compression off, no file is compressed in memory either (precompressed sidecar files are still served).
        this.minSize = compression ? config.compressionMinSize() : Integer.MAX_VALUE;
        this.hotFiles = new HotFiles(config.files().cacheSize().asLongValue(), config.files().cacheMaxFile().asLongValue(),
                minSize);
        this.checkNanos = config.files().checkInterval().toNanos();
        files.onRetired(hotFiles::retire);
        this.hits = Counter.builder("edgestack.proxy.file.cache.requests").tag("result", "hit")
                .description("Static answers served from the in-memory copies (hit) or from disk (miss)").register(registry);
        this.misses = Counter.builder("edgestack.proxy.file.cache.requests").tag("result", "miss")
                .description("Static answers served from the in-memory copies (hit) or from disk (miss)").register(registry);
        Gauge.builder("edgestack.proxy.file.cache.bytes", hotFiles, HotFiles::weight)
                .description("Bytes held by the in-memory copies of static files").baseUnit("bytes").register(registry);
    }

    public ReleaseFiles files() {
        return files;
    }

    /** Forgets every copy and every pointer read, so that the next requests read the disk (a purge, a reload). */
    public void recheck() {
        files.recheck();
        hotFiles.clear();
    }

    /**
     * @param browse a folder without index.html is answered with its listing (the route's {@code browse})
     * @param proxy takes the request on when a rule of the release's {@code _redirects} proxies it to a URL (given)
     */
    public void serve(HttpServerRequest request, Site site, String path, boolean browse, Consumer<String> proxy) {
        HttpMethod method = request.method();
        Path release = files.trustedRelease(site.name(), checkNanos);
        Redirects redirects = release == null ? null : files.readRedirects(release);
        // only a release with language rules (or whose rules are not read yet) needs the header
        String acceptLanguage = redirects != null && !redirects.hasLanguages() ? null : request.getHeader(HttpHeaders.ACCEPT_LANGUAGE);
        if (redirects != null && redirects.dependsOnLanguage(path)) { // whatever answers, a rule's language decided it
            request.response().headers().add("Vary", "Accept-Language");
        }
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            notReadable(request, site, path, redirects, proxy, acceptLanguage);
            return;
        }
        HotFile claimed = null; // the copy this request checks against the disk
        if (redirects != null) { // else not read yet for this release: the lookup below reads them
            String served = path;
            if (!redirects.isEmpty()) {
                Redirects.Match rule = redirects.match(path, request.query(), acceptLanguage);
                if (rule != null && rule.redirects()) {
                    answer(request, site, path, Lookup.redirect(rule.location(request.query()), release.getFileName().toString(),
                            rule.status()));
                    return;
                }
                if (rule != null && rule.proxies() && rule.force()) {
                    proxy.accept(rule.location(request.query()));
                    return;
                }
                if (rule != null && rule.force()) { // forced: the target's copy in memory is the answer (a 404 page: the worker's)
                    served = rule.status() == 200 ? ReleaseFiles.targetPath(rule.to()) : null;
                }
            }
            HotFile hot = served == null ? null : hotFiles.get(release, served);
            // A copy checked recently is served as it is; an older one too while another request checks it.
            if (hot != null && (System.nanoTime() - hot.verifiedAt < checkNanos || !hot.checking.compareAndSet(false, true))) {
                hits.increment();
                answer(request, site, served, hot, release);
                return;
            }
            claimed = hot;
        }
        String acceptEncoding = request.getHeader(HttpHeaders.ACCEPT_ENCODING);
        String query = request.query();
        HotFile checked = claimed;
        // a request the lookup may proxy keeps its end (and any body) for the upstream exchange: read later, it would be gone
        boolean mayProxy = redirects == null || redirects.hasProxies();
        if (mayProxy) {
            request.pause();
        }
        vertx.executeBlocking(() -> find(site, path, acceptEncoding, query, acceptLanguage, checked, browse), false)
                .onComplete(result -> {
                    if (redirects == null && result.succeeded() && result.result().language()) { // the rules just read
                        request.response().headers().add("Vary", "Accept-Language");
                    }
                    if (mayProxy && (result.failed() || result.result().lookup().kind() != Lookup.Kind.PROXY)) {
                        request.resume();
                    }
                    if (result.failed()) {
                        LOG.errorf(result.cause(), "Cannot read %s of site %s", path, site.name());
                        ErrorPages.send(request, 500, "Internal Server Error", "The file could not be read.", null);
                        return;
                    }
                    Found found = result.result();
                    if (found.listing() != null) {
                        list(request, path, found.listing());
                        return;
                    }
                    Lookup lookup = found.lookup();
                    if (lookup.kind() == Lookup.Kind.PROXY) {
                        proxy.accept(lookup.location());
                        return;
                    }
                    String served = lookup.path() == null ? path : lookup.path();
                    if (found.hot() != null) {
                        hits.increment();
                        answer(request, site, served, found.hot(), lookup.root());
                    } else {
                        misses.increment();
                        answer(request, site, served, lookup);
                    }
                    if (found.load()) {
                        vertx.executeBlocking(() -> hotFiles.load(lookup.root(), served, lookup, site.cacheControlFor(served)), false)
                                .onFailure(e -> LOG.debugf(e, "No in-memory copy of %s", lookup.source()));
                    }
                });
    }

    /**
     * A request of a method files do not answer: proxied when the release's {@code _redirects} proxies its path (read on
     * a worker when the release's rules are not at hand, the request paused meanwhile), else {@code 405}.
     */
    private void notReadable(HttpServerRequest request, Site site, String path, Redirects redirects, Consumer<String> proxy,
            String acceptLanguage) {
        if (redirects != null) {
            Redirects.Match rule = redirects.isEmpty() ? null : redirects.match(path, request.query(), acceptLanguage);
            if (rule != null && rule.proxies()) {
                proxy.accept(rule.location(request.query()));
            } else {
                methodNotAllowed(request);
            }
            return;
        }
        request.pause(); // its body waits for the upstream it may go to
        String query = request.query();
        vertx.executeBlocking(() -> files.proxiedTo(site.name(), path, query, acceptLanguage), false).onComplete(found -> {
            if (found.succeeded() && found.result() != null) {
                proxy.accept(found.result());
            } else {
                request.resume();
                methodNotAllowed(request);
            }
        });
    }

    private static void methodNotAllowed(HttpServerRequest request) {
        request.response().putHeader("Allow", "GET, HEAD");
        ErrorPages.send(request, 405, "Method Not Allowed", "Static files answer GET and HEAD only.", null);
    }

    /**
     * On a worker: looks the path up, and compares the copy in memory (if any) with the disk. {@code claimed}: the copy
     * whose check this request took on the event loop, handed back when done (or null).
     */
    private Found find(Site site, String path, String acceptEncoding, String query, String acceptLanguage, HotFile claimed,
            boolean browse) throws IOException {
        try {
            Lookup lookup = files.find(site.name(), path, acceptEncoding, query, acceptLanguage);
            // the release the lookup just resolved, and its rules it just read: from memory, no second look at the disk
            Path live = files.trustedRelease(site.name(), Long.MAX_VALUE);
            Redirects rules = live == null ? null : files.readRedirects(live);
            if (rules != null && rules.dependsOnLanguage(path)) {
                Found found = find(lookup, site, path, query, browse);
                return new Found(found.lookup(), found.hot(), found.load(), found.listing(), true);
            }
            return find(lookup, site, path, query, browse);
        } finally {
            if (claimed != null) {
                claimed.checking.set(false);
            }
        }
    }

    private Found find(Lookup lookup, Site site, String path, String query, boolean browse) throws IOException {
        if (lookup.kind() == Lookup.Kind.NOT_FOUND && browse) {
            List<ReleaseFiles.Entry> entries = files.listing(site.name(), path);
            if (entries != null) {
                return path.endsWith("/") ? new Found(lookup, null, false, entries)
                        : new Found(Lookup.redirect(path + "/" + (query == null ? "" : "?" + query), lookup.release()), null, false);
            }
        }
        if (lookup.kind() != Lookup.Kind.FILE) {
            return new Found(lookup, null, false);
        }
        HotFile hot = hotFiles.get(lookup.root(), lookup.path()); // the rewritten path's copy, for a rewrite
        if (hot != null && hot.matches(lookup)) {
            hot.verifiedAt = System.nanoTime();
            return new Found(lookup, hot, false);
        }
        boolean load = hotFiles.fits(lookup) && hotFiles.claim(lookup.root(), lookup.path());
        return new Found(lookup, null, load);
    }

    /** A folder's listing: JSON when the client asks for it, else HTML; never kept by a cache. */
    private static void list(HttpServerRequest request, String path, List<ReleaseFiles.Entry> entries) {
        String accept = request.getHeader(HttpHeaders.ACCEPT);
        boolean json = accept != null && accept.contains("application/json") && !accept.contains("text/html");
        Buffer body = json ? Listing.json(path, entries) : Listing.html(path, entries);
        HttpServerResponse response = request.response().putHeader("Content-Type",
                json ? "application/json" : "text/html; charset=utf-8").putHeader("Cache-Control", "no-cache")
                .putHeader("Vary", "Accept");
        if (request.method() == HttpMethod.HEAD) {
            response.putHeader("Content-Length", String.valueOf(body.length())).end();
        } else {
            response.end(body);
        }
    }

    private void answer(HttpServerRequest request, Site site, String path, HotFile hot, Path release) {
        // A range is a range of the identity bytes: partial answers are never compressed.
        HotFile.Variant variant = request.getHeader(io.netty.handler.codec.http.HttpHeaderNames.RANGE) != null ? hot.identity : hot.choose(request.getHeader(HttpHeaders.ACCEPT_ENCODING));
        send(request, site, path, release, new Representation(hot.contentType, variant.etag(), hot.modifiedMillis,
                hot.lastModified, variant.coding(), hot.varies(), variant.body().length(), variant.body(), null));
    }

    private void answer(HttpServerRequest request, Site site, String path, Lookup lookup) {
        HttpServerResponse response = request.response();
        switch (lookup.kind()) {
            case NO_RELEASE -> ErrorPages.send(request, 503, "No live release",
                    "Site '" + site.name() + "' has no live release yet. Deploy one and it will be served at once.", null);
            case NOT_FOUND -> {
                switch (lookup.status()) {
                    case 410 -> ErrorPages.send(request, 410, "Gone", "What was at this address is gone for good.", lookup.file());
                    case 451 -> ErrorPages.send(request, 451, "Unavailable For Legal Reasons",
                            "What is at this address cannot be shown, for legal reasons.", lookup.file());
                    default -> ErrorPages.send(request, 404, "Not Found", "There is nothing at this address.", lookup.file());
                }
            }
            case REDIRECT -> response.setStatusCode(lookup.status()).putHeader("Location", lookup.location())
                    .putHeader("Cache-Control", (lookup.status() == 301 || lookup.status() == 308)
                            && site.cacheControlFor(path + "/") != null ? "public, max-age=3600" : "no-cache")
                    .putHeader("Content-Length", "0").end();
            case FILE -> {
                String name = lookup.file().getFileName().toString();
                if (lookup.encoding() != null) {
                    name = name.substring(0, name.lastIndexOf('.'));
                }
                String etag = "\"" + Long.toHexString(lookup.modifiedMillis()) + "-" + Long.toHexString(lookup.size())
                        + (lookup.encoding() != null ? "-" + lookup.encoding() : "") + "\"";
                send(request, site, path, lookup.root(), new Representation(MimeTypes.forName(name), etag, lookup.modifiedMillis(),
                        HttpDate.format(lookup.modifiedMillis()), lookup.encoding(), lookup.varies(), lookup.size(), null,
                        lookup.file().toString()));
            }
        }
    }

    /** Adds {@code name} to the answer's {@code Vary} (a language rule may have put Accept-Language there). */
    private static void varyOn(MultiMap headers, String name) {
        String vary = headers.get("Vary");
        if (vary == null) {
            headers.set("Vary", name);
        } else if (!vary.contains(name)) {
            headers.set("Vary", vary + ", " + name);
        }
    }

    private void send(HttpServerRequest request, Site site, String path, Path release, Representation rep) {
        HttpServerResponse response = request.response();
        MultiMap headers = response.headers();
        if (rep.coding() != null) {
            headers.set("Content-Encoding", rep.coding());
        } else {
            headers.set("Accept-Ranges", "bytes");
        }
        headers.set("Content-Type", rep.contentType());
        headers.set("ETag", rep.etag());
        headers.set("Last-Modified", rep.lastModified());
        if (rep.varies()) {
            varyOn(headers, "Accept-Encoding");
        }
        String cacheControl = site.cacheControlFor(path);
        if (cacheControl != null) {
            headers.set("Cache-Control", cacheControl);
        }
        ReleaseHeaders own = release == null ? null : files.readHeaders(release);
        if (own != null && !own.isEmpty()) {
            own.apply(path, headers);
            cacheControl = headers.get("Cache-Control");
        }

        if (Conditional.preconditionFailed(request, rep.etag(), rep.modifiedMillis())) {
            headers.remove("Content-Type");
            response.setStatusCode(412).putHeader("Content-Length", "0").end();
            return;
        }
        if (Conditional.notModified(request, rep.etag(), rep.modifiedMillis())) {
            // A file streamed from disk is compressed on its way out: its 304 carries the ETag that answer would.
            if (rep.body() == null && rep.coding() == null
                    && CompressionPolicy.willCompress(request, rep.contentType(), rep.size(), cacheControl, minSize)) {
                headers.set("ETag", CompressionPolicy.weak(rep.etag()));
                varyOn(headers, "Accept-Encoding");
            }
            headers.remove("Content-Type");
            response.setStatusCode(304).end();
            return;
        }

        long size = rep.size();
        ByteRange.Request range = rep.coding() == null && Conditional.rangeApplies(request, rep.etag(), rep.lastModified())
                ? ByteRange.parse(request.getHeader(io.netty.handler.codec.http.HttpHeaderNames.RANGE), size)
                : new ByteRange.Whole();
        boolean head = request.method() == HttpMethod.HEAD;
        if (range instanceof ByteRange.Unsatisfiable) {
            headers.set("Content-Range", "bytes */" + size);
            headers.remove("Content-Type");
            response.setStatusCode(416).putHeader("Content-Length", "0").end();
        } else if (range instanceof ByteRange.Part part) {
            ByteRange r = part.range();
            response.setStatusCode(206);
            headers.set("Content-Range", "bytes " + r.start() + "-" + r.end() + "/" + size);
            if (head) {
                response.putHeader("Content-Length", String.valueOf(r.length())).end();
            } else if (rep.body() != null) {
                response.end(rep.body().slice((int) r.start(), (int) r.end() + 1));
            } else {
                sendFile(request, site, response.sendFile(rep.file(), r.start(), r.length()), rep.file());
            }
        } else if (range instanceof ByteRange.Parts parts) {
            MultipartRanges answer = new MultipartRanges(parts.ranges(), rep.contentType(), size);
            if (head) {
                answer.head(response);
                response.end();
            } else if (rep.body() != null) {
                answer.send(response, rep.body());
            } else {
                sendFile(request, site, answer.send(vertx, response, rep.file()), rep.file());
            }
        } else if (head) {
            response.putHeader("Content-Length", String.valueOf(size)).end();
        } else if (rep.body() != null) {
            response.end(rep.body());
        } else {
            sendFile(request, site, response.sendFile(rep.file(), 0, size), rep.file());
        }
    }

    /**
     * When a file streamed from disk fails: one removed between its look-up and its answer is answered as the look-up
     * would now answer it (a {@code 404}, or a {@code 500} when it cannot be read), as nothing is sent until it is open;
     * one that fails midway can only be cut short (its length was announced). Vert.x wrote nothing at all for such a
     * file, and the visitor waited for the idle timeout.
     */
    private void sendFile(HttpServerRequest request, Site site, Future<Void> sent, String file) {
        sent.onFailure(failed -> {
            HttpServerResponse response = request.response();
            if (response.headWritten() || response.closed()) {
                // cut short midway, or (Vert.x 4.5) the file went in the microseconds between its check that the file
                // exists and its open, after it had marked the head written: either way nothing more can be sent
                LOG.debugf(failed, "%s was cut short", file);
                response.reset();
                return;
            }
            MultiMap headers = response.headers();
            for (CharSequence name : REPRESENTATION) {
                headers.remove(name);
            }
            if (gone(failed)) {
                ErrorPages.sendSitePage(vertx, files, request, site.name(), 404, "Not Found", "There is nothing at this address.");
            } else {
                LOG.errorf(failed, "Cannot send %s of site %s", file, site.name());
                ErrorPages.sendSitePage(vertx, files, request, site.name(), 500, "Internal Server Error",
                        "The file could not be read.");
            }
        });
    }

    /**
     * Whether a file could not be opened because it is not there: Vert.x's {@code sendFile} fails with a
     * {@code FileNotFoundException} of its own (no message) or {@code RandomAccessFile}'s (the system's reason), its file
     * system with a {@code NoSuchFileException} inside.
     */
    static boolean gone(Throwable failed) {
        for (Throwable cause = failed; cause != null; cause = cause.getCause()) {
            if (cause instanceof NoSuchFileException
                    || cause instanceof FileNotFoundException && (cause.getMessage() == null || cause.getMessage().endsWith("(No such file or directory)"))) {
                return true;
            }
        }
        return false;
    }
}
