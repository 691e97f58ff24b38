package io.edgestack.proxy.http;

import java.util.List;

import io.edgestack.cluster.Http2ContentCoding;
import io.edgestack.proxy.files.AcceptEncoding;
import io.edgestack.proxy.files.MimeTypes;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.HttpServerRequest;

/**
 * Decides, as the headers of a response leave, whether the server's compressor (Netty: br, zstd, gzip) may encode
 * it. Small bodies, already-compressed types, partial content, {@code no-transform} and bodies that are already encoded
 * go out as they are (marked {@code Content-Encoding: identity}, which Vert.x strips after skipping compression), and
 * over HTTP/2 an answer encoded already is marked {@link Http2ContentCoding#AS_IS}.
 * When a body will be compressed its ETag becomes weak and {@code Vary: Accept-Encoding} is set.
 */
public final class CompressionPolicy {

    /** Codings the server compresses with, in Netty's order of preference. */
    static final List<String> CODINGS = List.of("br", "zstd", "gzip");

    private static final AsciiString IDENTITY = AsciiString.cached("identity");
    private static final AsciiString ONE = AsciiString.cached("1");

    private CompressionPolicy() {
    }

    public static void apply(HttpServerRequest request, MultiMap headers, int status, int minSize) {
        String encoding = headers.get(HeaderNames.CONTENT_ENCODING);
        boolean h2 = request.version() == HttpVersion.HTTP_2;
        if (encoding != null && !encoding.equalsIgnoreCase("identity")) {
            if (h2) {
                headers.set(Http2ContentCoding.AS_IS, ONE); // encoded already: HTTP/2's compressor would encode it again
            }
            return;
        }
        // Quarkus marks every response "identity" (no compression) unless a route opts in; this policy decides instead.
        headers.remove(HeaderNames.CONTENT_ENCODING);
        if (status == 304) {
            // the handler that answered 304 knows the representation (see willCompress); over HTTP/2, Vert.x would
            // name the negotiated coding on it, which a cache could take for the stored answer's
            if (h2 && compressorWouldEncode(request, request.getHeader(HeaderNames.ACCEPT_ENCODING), status)) {
                headers.set(HeaderNames.CONTENT_ENCODING, IDENTITY);
            }
            return;
        }
        String accepted = request.getHeader(HeaderNames.ACCEPT_ENCODING);
        if (!compressible(headers, status, minSize)) {
            if (compressorWouldEncode(request, accepted, status)) {
                headers.set(HeaderNames.CONTENT_ENCODING, IDENTITY);
            }
            return;
        }
        String coding = AcceptEncoding.choose(accepted, CODINGS);
        addVary(headers);
        if (coding != null) {
            weakenEtag(headers);
        }
    }

    /**
     * Whether the server's compressor would encode this answer unless told not to: only then is it marked
     * {@code identity}, since the marker is taken off only by the compressor that reads it. Netty's HTTP/1.1 compressor
     * leaves HTTP/1.0, {@code HEAD}, {@code 204} and {@code 304} answers alone (the marker would reach the client, and
     * {@code identity} is no content coding: RFC 9110, 8.4.1); a request without {@code Accept-Encoding} is never
     * compressed. Over HTTP/2 Vert.x 4 names the negotiated coding on every answer without one, body or not, so there
     * the marker is set whenever the client accepts a coding ({@link Http2ContentCoding} takes it off).
     */
    static boolean compressorWouldEncode(HttpServerRequest request, String acceptEncoding, int status) {
        if (acceptEncoding == null || acceptEncoding.isBlank()) {
            return false;
        }
        if (request.version() == HttpVersion.HTTP_2) {
            return true;
        }
        return request.version() == HttpVersion.HTTP_1_1 && request.method() != HttpMethod.HEAD
                && status >= 200 && status != 204 && status != 304;
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
