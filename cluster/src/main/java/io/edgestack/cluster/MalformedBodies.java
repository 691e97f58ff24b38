package io.edgestack.cluster;

import io.netty.handler.codec.DecoderException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * A visitor's HTTP/1.1 request body that breaks the chunked framing: a chunk size that is not hexadecimal or overflows,
 * a chunk not ended by CRLF, a trailer that is not a field, a chunk line past Netty's limit. Netty's decoder refuses it
 * and Vert.x closes the connection at once, without an answer (the client saw its connection drop). nginx answers such a
 * body with {@code 400}; so do the proxy and the edge, through {@link #answerWith}.
 */
public final class MalformedBodies {

    /** The detail given with the {@code 400}. */
    public static final String DETAIL = "The request body is not valid chunked transfer coding (RFC 9112 §7.1).";

    private MalformedBodies() {
    }

    /** A request's {@code Transfer-Encoding} refused: the status to answer with (and close) and why. */
    public record RefusedCoding(int status, String detail) {
    }

    /**
     * Why an HTTP/1.x request's {@code Transfer-Encoding} is refused, or null when it has none or {@code chunked} alone
     * (in any case). Netty frames a body as chunked when {@code chunked} is among the codings, and as no body at all when
     * it is not, so a coding besides it would reach the app still encoded, and without {@code chunked} last the body's
     * bytes would be read as the next request: a smuggling vector (RFC 9112 §6.3). {@code status} is 400 when
     * {@code chunked} is not the final coding (the length cannot be known: the server MUST answer 400 and close), 501
     * for another coding it cannot undo (§6.1; as nginx's "unknown Transfer-Encoding" and Go's server, so Caddy).
     */
    public static RefusedCoding refusedTransferCoding(HttpServerRequest request) {
        if (request.version() == HttpVersion.HTTP_2 || request.getHeader(HttpHeaders.TRANSFER_ENCODING) == null) {
            return null; // the usual request: one look-up, no list made
        }
        java.util.List<String> values = request.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
        if (values.isEmpty() || values.size() == 1 && "chunked".equalsIgnoreCase(values.get(0).trim())) {
            return null;
        }
        String[] codings = String.join(",", values).split(",");
        boolean chunkedBefore = false;
        for (int i = 0; i < codings.length - 1; i++) {
            chunkedBefore |= "chunked".equalsIgnoreCase(codings[i].trim());
        }
        if (chunkedBefore || !"chunked".equalsIgnoreCase(codings[codings.length - 1].trim())) {
            return new RefusedCoding(400, "The request's Transfer-Encoding (" + String.join(", ", values)
                    + ") does not end with chunked, once, so its body's length cannot be known (RFC 9112 §6.3).");
        }
        return new RefusedCoding(501, "The request's body is in a transfer coding besides chunked ("
                + String.join(", ", values) + "), which this server does not decode.");
    }

    /**
     * Whether a failure is the decoder's verdict on a body: Netty reports these as a {@link NumberFormatException} or
     * {@link IllegalArgumentException} (chunk size, trailer) or a {@link DecoderException} (chunk end, line length); a
     * connection closed or reset is an {@code IOException} or Vert.x' "connection was closed", never one of these.
     */
    public static boolean isMalformed(Throwable error) {
        return error instanceof IllegalArgumentException || error instanceof DecoderException;
    }

    /**
     * While {@code request}'s chunked body is read, a body the decoder refuses is answered by {@code answer} (which sends
     * the answer, with {@code Connection: close}), if nothing of an answer was written yet; an answer written already
     * (before the body was read) is flushed before Vert.x closes the connection. It has to happen where Vert.x
     * reports the failure first, the connection's exception handler: the request's own handlers run after Vert.x has
     * closed the connection. The answer is flushed at once, since Vert.x holds writes made while it reads until the read
     * is over, and closes the connection before that.
     */
    public static void answerWith(HttpServerRequest request, Runnable answer) {
        request.connection().exceptionHandler(error -> {
            if (!isMalformed(error) || request.isEnded()) {
                return; // not this request's body: the connection carried it before
            }
            if (!request.response().headWritten()) {
                ConnectionClose.announce(request);
                answer.run();
            } // else its answer was written before the body was read (a fixed answer, a file from memory): let it out
            if (request.connection() instanceof ConnectionBase connection) {
                connection.channelHandlerContext().flush();
            }
        });
    }
}
