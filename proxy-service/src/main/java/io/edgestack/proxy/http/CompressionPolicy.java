package io.edgestack.proxy.http;

import java.util.List;

import io.edgestack.proxy.files.AcceptEncoding;
import io.edgestack.proxy.files.MimeTypes;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;

/**
 * Decides, as the headers of a response leave, whether the server's compressor (Netty: br, zstd, gzip) may encode
 * it. Small bodies, already-compressed types, partial content, {@code no-transform} and bodies that are already encoded
 * go out as they are (marked {@code Content-Encoding: identity}, which Vert.x strips after skipping compression).
 * When a body will be compressed its ETag becomes weak and {@code Vary: Accept-Encoding} is set.
 */
public final class CompressionPolicy {

    /** Codings the server compresses with, in Netty's order of preference. */
    static final List<String> CODINGS = List.of("br", "zstd", "gzip");

    private CompressionPolicy() {
    }

    public static void apply(HttpServerRequest request, MultiMap headers, int status, int minSize) {
        String encoding = headers.get("Content-Encoding");
        if (encoding != null && !encoding.equalsIgnoreCase("identity")) {
            return;
        }
        // Quarkus marks every response "identity" (no compression) unless a route opts in; this policy decides instead.
        headers.remove("Content-Encoding");
        if (status == 304) {
            return; // the handler that answered 304 knows the representation; see willCompress
        }
        String coding = AcceptEncoding.choose(request.getHeader("Accept-Encoding"), CODINGS);
        if (!compressible(headers, status, minSize)) {
            headers.set("Content-Encoding", "identity");
            return;
        }
        addVary(headers);
        if (coding != null) {
            weakenEtag(headers);
        }
    }

    /**
     * Whether a 200 answer with this type and length would be compressed for this request: a handler answering 304
     * uses it to send the same (weak or strong) ETag as the full answer would carry.
     */
    public static boolean willCompress(HttpServerRequest request, String contentType, long length, String cacheControl,
            int minSize) {
        if (AcceptEncoding.choose(request.getHeader("Accept-Encoding"), CODINGS) == null) {
            return false;
        }
        return contentType != null && !MimeTypes.compressed(contentType) && length >= minSize
                && (cacheControl == null || !cacheControl.contains("no-transform"));
    }

    public static String weak(String etag) {
        return etag.startsWith("\"") ? "W/" + etag : etag;
    }

    private static boolean compressible(MultiMap headers, int status, int minSize) {
        if (status < 200 || status == 204 || status == 206 || status >= 300 && status < 400) {
            return false;
        }
        String type = headers.get("Content-Type");
        if (type == null || MimeTypes.compressed(type) || type.startsWith("text/event-stream")) {
            return false;
        }
        String cacheControl = headers.get("Cache-Control");
        if (cacheControl != null && cacheControl.contains("no-transform")) {
            return false;
        }
        String length = headers.get("Content-Length");
        if (length != null) {
            try {
                return Long.parseLong(length.trim()) >= minSize;
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }

    private static void weakenEtag(MultiMap headers) {
        String etag = headers.get("ETag");
        if (etag != null) {
            headers.set("ETag", weak(etag));
        }
    }

    private static void addVary(MultiMap headers) {
        String vary = headers.get("Vary");
        if (vary == null || vary.isBlank()) {
            headers.set("Vary", "Accept-Encoding");
        } else if (!vary.toLowerCase().contains("accept-encoding") && !vary.trim().equals("*")) {
            headers.set("Vary", vary + ", Accept-Encoding");
        }
    }
}
