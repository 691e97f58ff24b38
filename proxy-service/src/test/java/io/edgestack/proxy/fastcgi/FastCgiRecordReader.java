package io.edgestack.proxy.fastcgi;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/** The records a fake FastCGI server of a test reads from its connection, each handed on whole, in order. */
final class FastCgiRecordReader implements Handler<Buffer> {

    interface Record {
        /** One record's type and content; false stops reading (the connection was closed). */
        boolean handle(int type, Buffer content);
    }

    private final Record record;
    private Buffer pending = Buffer.buffer();

    FastCgiRecordReader(Record record) {
        this.record = record;
    }

    @Override
    public void handle(Buffer data) {
        pending.appendBuffer(data);
        while (pending.length() >= 8) {
            int type = pending.getUnsignedByte(1);
            int length = pending.getUnsignedShort(4);
            int padding = pending.getUnsignedByte(6);
            if (pending.length() < 8 + length + padding) {
                return;
            }
            Buffer content = pending.getBuffer(8, 8 + length);
            pending = pending.getBuffer(8 + length + padding, pending.length());
            if (!record.handle(type, content)) {
                return;
            }
        }
    }
}
