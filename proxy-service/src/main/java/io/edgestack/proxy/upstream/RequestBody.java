package io.edgestack.proxy.upstream;

import io.edgestack.proxy.http.FilteredBody;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A visitor's request body on its way to an upstream. It says when it has ended ({@link #whenEnded}: the first-byte
 * timeout runs from then, as Go's and so Caddy's {@code response_header_timeout} does, not while a long upload is still
 * being sent). A body of undeclared length (chunked) is cut off once it passes the body size limit: the bytes past the
 * limit are never forwarded, the stream fails (so the upstream request is reset) and {@code onTooLarge} answers the
 * client. Bodies with a Content-Length are checked before any byte is read.
 */
final class RequestBody extends FilteredBody {

    /** The stream failed because the body passed the limit. */
    static final class TooLarge extends RuntimeException {
        TooLarge(long limit) {
            super("request body larger than " + limit + " bytes", null, false, false);
        }
    }

    private final long limit;
    private final Runnable onTooLarge;
    private long seen;
    private boolean cut;
    private Handler<Throwable> exceptionHandler;
    private boolean ended;
    private Runnable onEnd;

    /** {@code limit} 0 or less: not capped. */
    RequestBody(ReadStream<Buffer> source, long limit, Runnable onTooLarge) {
        super(source);
        this.limit = limit > 0 ? limit : Long.MAX_VALUE;
        this.onTooLarge = onTooLarge;
    }

    /** Whether the whole body has been read from the visitor. */
    boolean ended() {
        return ended;
    }

    /** Runs {@code action} when the whole body has been read, before it is passed on (replaces an earlier one). */
    void whenEnded(Runnable action) {
        this.onEnd = action;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        this.exceptionHandler = handler;
        source.exceptionHandler(handler);
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
        if (handler == null) {
            source.handler(null);
            return this;
        }
        source.handler(chunk -> {
            if (cut) {
                return;
            }
            seen += chunk.length();
            if (seen > limit) {
                cut = true;
                source.handler(null);
                onTooLarge.run(); // answers first: the failing stream then finds the answer given
                if (exceptionHandler != null) {
                    exceptionHandler.handle(new TooLarge(limit));
                }
                return;
            }
            handler.handle(chunk);
        });
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
        source.endHandler(endHandler == null ? null : v -> {
            if (!cut) {
                ended = true;
                Runnable action = onEnd;
                if (action != null) {
                    action.run();
                }
                endHandler.handle(v);
            }
        });
        return this;
    }
}
