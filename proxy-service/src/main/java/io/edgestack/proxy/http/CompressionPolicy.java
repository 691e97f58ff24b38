package io.edgestack.proxy.http;

import java.util.List;

import io.edgestack.proxy.files.AcceptEncoding;
import io.edgestack.proxy.files.MimeTypes;
import io.netty.util.AsciiString;
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

    private static final AsciiString IDENTITY = AsciiString.cached("identity");

    private CompressionPolicy() {
    }

    public static void apply(HttpServerRequest request, MultiMap headers, int status, int minSize) {
        String encoding = headers.get(HeaderNames.CONTENT_ENCODING);
        if (encoding != null && !encoding.equalsIgnoreCase("identity")) {
            return;
        }
        // Quarkus marks every response "identity" (no compression) unless a route opts in; this policy decides instead.
        headers.remove(HeaderNames.CONTENT_ENCODING);
        if (status == 304) {
            return; // the handler that answered 304 knows the representation; see willCompress
        }
        String coding = AcceptEncoding.choose(request.getHeader(HeaderNames.ACCEPT_ENCODING), CODINGS);
        if (!compressible(headers, status, minSize)) {
            headers.set(HeaderNames.CONTENT_ENCODING, IDENTITY);
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
        if (AcceptEncoding.choose(request.getHeader(HeaderNames.ACCEPT_ENCODING), CODINGS) == null) {
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
        String type = headers.get(HeaderNames.CONTENT_TYPE);
        if (type == null || MimeTypes.compressed(type) || type.startsWith("text/event-stream")) {
            return false;
        }
        String cacheControl = headers.get(HeaderNames.CACHE_CONTROL);
        if (cacheControl != null && cacheControl.contains("no-transform")) {
            return false;
        }
        String length = headers.get(HeaderNames.CONTENT_LENGTH);
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
        String etag = headers.get(HeaderNames.ETAG);
        if (etag != null) {
            headers.set(HeaderNames.ETAG, weak(etag));
        }
    }

    private static void addVary(MultiMap headers) {
        String vary = headers.get(HeaderNames.VARY);
        if (vary == null || vary.isBlank()) {
            headers.set(HeaderNames.VARY, HeaderNames.ACCEPT_ENCODING);
        } else if (!AsciiString.containsIgnoreCase(vary, HeaderNames.ACCEPT_ENCODING) && !vary.trim().equals("*")) {
            headers.set(HeaderNames.VARY, vary + ", Accept-Encoding");
        }
    }
}
