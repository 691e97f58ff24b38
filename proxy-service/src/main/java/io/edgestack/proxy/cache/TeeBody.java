package io.edgestack.proxy.cache;

import java.util.function.Consumer;

import io.edgestack.proxy.http.FilteredBody;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A response body on its way to the client, copied aside for the cache as it streams (never held back). Past
 * {@code limit} bytes the copy is dropped and the body streams on; {@code onComplete} gets the copy only when the
 * body ended normally, so an origin that dies or a client that leaves mid-body stores nothing.
 */
final class TeeBody extends FilteredBody {

    private final long limit;
    private final Consumer<Buffer> onComplete;
    private Buffer copy = Buffer.buffer();

    TeeBody(ReadStream<Buffer> source, long limit, Consumer<Buffer> onComplete) {
        super(source);
        this.limit = limit;
        this.onComplete = onComplete;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
        source.exceptionHandler(error -> {
            copy = null;
            if (handler != null) {
                handler.handle(error);
            }
        });
        return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
        if (handler == null) {
            source.handler(null);
            return this;
        }
        source.handler(chunk -> {
            if (copy != null) {
                if (copy.length() + chunk.length() > limit) {
                    copy = null;
                } else {
                    copy.appendBuffer(chunk);
                }
            }
            handler.handle(chunk);
        });
        return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
        source.endHandler(v -> {
            Buffer complete = copy;
            copy = null;
            if (complete != null) {
                onComplete.accept(complete);
            }
            if (endHandler != null) {
                endHandler.handle(v);
            }
        });
        return this;
    }
}
