package io.edgestack.proxy.files;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.edgestack.proxy.config.ProxyConfig;
import io.edgestack.proxy.http.CompressionPolicy;
import io.edgestack.proxy.http.ErrorPages;
import io.edgestack.proxy.http.HttpDate;
import io.edgestack.proxy.site.Site;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * Serves a site's live release. The file-system work (pointer, stat, sidecars) runs once per request on a worker
 * thread; the answer (headers, 304, ranges, zero-copy send) is written from the event loop.
 */
@ApplicationScoped
public class StaticFiles {

    private static final Logger LOG = Logger.getLogger(StaticFiles.class);

    private final Vertx vertx;
    private final ReleaseFiles files;
    private final int minSize;

    public StaticFiles(ProxyConfig config, Vertx vertx) {
        this.vertx = vertx;
        this.files = new ReleaseFiles(config.releasesRoot());
        this.minSize = config.compressionMinSize();
    }

    public ReleaseFiles files() {
        return files;
    }

    public void serve(HttpServerRequest request, Site site, String path) {
        HttpMethod method = request.method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            request.response().putHeader("Allow", "GET, HEAD");
            ErrorPages.send(request, 405, "Method Not Allowed", "Static files answer GET and HEAD only.", null);
            return;
        }
        String acceptEncoding = request.getHeader("Accept-Encoding");
        String query = request.query();
        vertx.executeBlocking(() -> files.find(site.name(), path, acceptEncoding, query), false)
                .onComplete(result -> {
                    if (result.failed()) {
                        LOG.errorf(result.cause(), "Cannot read %s of site %s", path, site.name());
                        ErrorPages.send(request, 500, "Internal Server Error", "The file could not be read.", null);
                    } else {
                        answer(request, site, path, result.result());
                    }
                });
    }

    private void answer(HttpServerRequest request, Site site, String path, Lookup lookup) {
        HttpServerResponse response = request.response();
        switch (lookup.kind()) {
            case NO_RELEASE -> ErrorPages.send(request, 503, "No live release",
                    "Site '" + site.name() + "' has no live release yet. Deploy one and it will be served at once.", null);
            case NOT_FOUND -> ErrorPages.send(request, 404, "Not Found", "There is nothing at this address.", lookup.file());
            case REDIRECT -> response.setStatusCode(301).putHeader("Location", lookup.location())
                    .putHeader("Cache-Control", site.cacheControlFor(path + "/") != null ? "public, max-age=3600" : "no-cache")
                    .putHeader("Content-Length", "0").end();
            case FILE -> sendFile(request, site, path, lookup);
        }
    }

    private void sendFile(HttpServerRequest request, Site site, String path, Lookup lookup) {
        HttpServerResponse response = request.response();
        MultiMap headers = response.headers();
        String name = lookup.file().getFileName().toString();
        if (lookup.encoding() != null) {
            name = name.substring(0, name.lastIndexOf('.'));
            headers.set("Content-Encoding", lookup.encoding());
        } else {
            headers.set("Accept-Ranges", "bytes");
        }
        String etag = "\"" + Long.toHexString(lookup.modifiedMillis()) + "-" + Long.toHexString(lookup.size())
                + (lookup.encoding() != null ? "-" + lookup.encoding() : "") + "\"";
        String lastModified = HttpDate.format(lookup.modifiedMillis());
        headers.set("Content-Type", MimeTypes.forName(name));
        headers.set("ETag", etag);
        headers.set("Last-Modified", lastModified);
        if (lookup.varies()) {
            headers.set("Vary", "Accept-Encoding");
        }
        String cacheControl = site.cacheControlFor(path);
        if (cacheControl != null) {
            headers.set("Cache-Control", cacheControl);
        }

        if (Conditional.notModified(request, etag, lookup.modifiedMillis())) {
            if (lookup.encoding() == null
                    && CompressionPolicy.willCompress(request, headers.get("Content-Type"), lookup.size(), cacheControl, minSize)) {
                headers.set("ETag", CompressionPolicy.weak(etag));
                headers.set("Vary", "Accept-Encoding");
            }
            headers.remove("Content-Type");
            response.setStatusCode(304).end();
            return;
        }

        long size = lookup.size();
        ByteRange.Request range = lookup.encoding() == null && Conditional.rangeApplies(request, etag, lastModified)
                ? ByteRange.parse(request.getHeader("Range"), size)
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
            } else {
                response.sendFile(lookup.file().toString(), r.start(), r.length());
            }
        } else if (head) {
            response.putHeader("Content-Length", String.valueOf(size)).end();
        } else {
            response.sendFile(lookup.file().toString(), 0, size);
        }
    }
}
