package io.edgestack.proxy.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * A body that passes through a filter on its way (a size cap, a copy for the cache): flow control goes to the source
 * as it is, what a filter changes is its data, end and error handlers.
 */
public abstract class FilteredBody implements ReadStream<Buffer> {

    protected final ReadStream<Buffer> source;

    protected FilteredBody(ReadStream<Buffer> source) {
        this.source = source;
    }

    @Override
    public final ReadStream<Buffer> pause() {
        source.pause();
        return this;
    }

    @Override
    public final ReadStream<Buffer> resume() {
        source.resume();
        return this;
    }

    @Override
    public final ReadStream<Buffer> fetch(long amount) {
        source.fetch(amount);
        return this;
    }
}
