package io.edgestack.cluster;

import io.netty.handler.codec.DecoderException;
import io.vertx.core.http.HttpServerRequest;
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
