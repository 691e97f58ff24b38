package io.edgestack.cluster;

import java.lang.reflect.Field;

import org.jboss.logging.Logger;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http2.CompressorHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * HTTP/2 answers coded as HTTP/1.1 ones are: one that names its own coding is sent as it is. Vert.x 4 compresses HTTP/2
 * answers with Netty's {@code CompressorHttp2ConnectionEncoder}, which reads an answer's {@code Content-Encoding} as
 * the coding to apply, not as the one its body already has (netty/netty#9158, eclipse-vertx/vert.x#5371; Vert.x 5 has
 * an encoder of its own): a precompressed file ({@code app.js.gz}) or an upstream's gzip answer went out encoded twice,
 * a body no browser could read, and the {@code identity} that keeps the compressor off an answer reached the client
 * (no content coding: RFC 9110, 8.4.1). Netty's HTTP/1.1 compressor leaves an encoded answer alone and takes that
 * marker off.
 *
 * <p>{@link #install} puts this encoder in front of Vert.x's on an HTTP/2 connection: an answer whose head carries
 * {@link #AS_IS} (set by whoever knows its body is encoded already) or {@code Content-Encoding: identity} goes out as it
 * is, the marker and {@code identity} taken off; any other goes to Vert.x's compressor, which encodes it with the
 * coding Vert.x negotiated. Netty keeps the connection handler's encoder in a final field with no setter: it is set
 * once, before the connection's first answer (Vert.x calls connection handlers on the client's first SETTINGS frame,
 * the h2c upgrade's included, before any request of the connection).
 */
public final class Http2ContentCoding extends DecoratingHttp2ConnectionEncoder {

    /** Marks an answer whose body is encoded already, as its {@code Content-Encoding} says; never sent. */
    public static final AsciiString AS_IS = AsciiString.cached("x-edgestack-as-is");

    private static final Logger LOG = Logger.getLogger(Http2ContentCoding.class);
    private static final Field HANDLER_ENCODER;
    private static final Field DECORATED;

    static {
        Field encoder = null;
        Field decorated = null;
        try {
            encoder = Http2ConnectionHandler.class.getDeclaredField("encoder");
            encoder.setAccessible(true);
            decorated = DecoratingHttp2ConnectionEncoder.class.getDeclaredField("delegate");
            decorated.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warnf("HTTP/2 answers already encoded may be compressed again: Netty's HTTP/2 encoder cannot be "
                    + "reached (%s)", e);
            encoder = null;
        }
        HANDLER_ENCODER = encoder;
        DECORATED = decorated;
    }

    private final Http2ConnectionEncoder plain;

    private Http2ContentCoding(CompressorHttp2ConnectionEncoder compressing, Http2ConnectionEncoder plain) {
        super(compressing);
        this.plain = plain;
    }

    /**
     * Puts this encoder in front of Vert.x's compressing one on {@code connection}, when it is an HTTP/2 connection of a
     * server that compresses; true when it is in place (already or now).
     */
    public static boolean install(HttpConnection connection) {
        if (HANDLER_ENCODER == null || !(connection instanceof ConnectionBase base)) {
            return false;
        }
        Http2ConnectionHandler handler = base.channel().pipeline().get(Http2ConnectionHandler.class);
        if (handler == null) {
            return false;
        }
        Http2ConnectionEncoder encoder = handler.encoder();
        if (encoder instanceof Http2ContentCoding) {
            return true;
        }
        if (!(encoder instanceof CompressorHttp2ConnectionEncoder compressing)) {
            return false;
        }
        try {
            Http2ConnectionEncoder plain = (Http2ConnectionEncoder) DECORATED.get(compressing);
            HANDLER_ENCODER.set(handler, new Http2ContentCoding(compressing, plain));
            return true;
        } catch (IllegalAccessException | RuntimeException e) {
            LOG.warnf("HTTP/2 answers already encoded may be compressed again on %s: %s", connection.remoteAddress(), e);
            return false;
        }
    }

    @Override
    public ChannelFuture writeHeaders(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
            boolean endStream, ChannelPromise promise) {
        return asIs(headers) ? plain.writeHeaders(ctx, streamId, headers, padding, endStream, promise)
                : super.writeHeaders(ctx, streamId, headers, padding, endStream, promise);
    }

    @Override
    public ChannelFuture writeHeaders(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
            short weight, boolean exclusive, int padding, boolean endOfStream, ChannelPromise promise) {
        return asIs(headers)
                ? plain.writeHeaders(ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream, promise)
                : super.writeHeaders(ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream, promise);
    }

    /**
     * Whether the answer goes out as it is; takes the marker and an {@code identity} coding off its head. Heads Netty
     * writes itself (its {@code 431}) are read-only and carry neither.
     */
    private static boolean asIs(Http2Headers headers) {
        boolean marked = headers.contains(AS_IS);
        if (marked) {
            headers.remove(AS_IS);
        }
        CharSequence coding = headers.get(HttpHeaderNames.CONTENT_ENCODING);
        if (coding != null && HttpHeaderValues.IDENTITY.contentEqualsIgnoreCase(coding)) {
            headers.remove(HttpHeaderNames.CONTENT_ENCODING);
            return true;
        }
        return marked;
    }
}
