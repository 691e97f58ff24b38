package io.edgestack.proxy.files;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerResponse;

/**
 * A {@code 206} of several ranges (RFC 9110 §14.6): a {@code multipart/byteranges} body, each part with its own
 * {@code Content-Type} and {@code Content-Range}, its length known before it is sent. From memory (a file held in
 * memory, a cache hit) or streamed from the file, one range after the other, never read whole.
 */
public final class MultipartRanges {

    private final List<ByteRange> ranges;
    private final String boundary;
    /** Each part's head (boundary, type, range), and the closing line: made once, counted and sent. */
    private final byte[][] heads;
    private final byte[] tail;
    private final long length;

    public MultipartRanges(List<ByteRange> ranges, String contentType, long size) {
        this.ranges = ranges;
        // random per answer: a part's bytes cannot be made to hold it
        ThreadLocalRandom random = ThreadLocalRandom.current();
        this.boundary = Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
        this.heads = new byte[ranges.size()][];
        long total = 0;
        for (int i = 0; i < ranges.size(); i++) {
            ByteRange range = ranges.get(i);
            // each part has the type the whole would have had, none when it has none (RFC 9110 §14.6)
            heads[i] = ((i == 0 ? "" : "\r\n") + "--" + boundary + (contentType == null ? "" : "\r\nContent-Type: " + contentType)
                    + "\r\nContent-Range: bytes " + range.start() + "-" + range.end() + "/" + size + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            total += heads[i].length + range.length();
        }
        this.tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1);
        this.length = total + tail.length;
    }

    /** Status, type and length of the answer; its body follows with {@link #send(HttpServerResponse, Buffer)} or a file. */
    public void head(HttpServerResponse response) {
        response.setStatusCode(206);
        response.headers().set("Content-Type", "multipart/byteranges; boundary=" + boundary)
                .set("Content-Length", Long.toString(length))
                .remove("Content-Range");
    }

    /** The whole answer from a body held in memory. */
    public void send(HttpServerResponse response, Buffer body) {
        head(response);
        Buffer out = Buffer.buffer((int) length);
        for (int i = 0; i < ranges.size(); i++) {
            ByteRange range = ranges.get(i);
            out.appendBytes(heads[i]).appendBuffer(body, (int) range.start(), (int) range.length());
        }
        response.end(out.appendBytes(tail));
    }

    /** The answer streamed from a file: each part's head, then its bytes read from the file, then the closing line. */
    public Future<Void> send(Vertx vertx, HttpServerResponse response, String file) {
        return vertx.fileSystem().open(file, new OpenOptions().setRead(true).setWrite(false).setCreate(false))
                .compose(opened -> {
                    head(response); // only once the file is open: until then, a failure can still be answered
                    return part(response, opened, 0).eventually(() -> opened.close());
                })
                .compose(done -> response.end(Buffer.buffer(tail)));
    }

    private Future<Void> part(HttpServerResponse response, AsyncFile file, int index) {
        if (index == ranges.size()) {
            return Future.succeededFuture();
        }
        ByteRange range = ranges.get(index);
        response.write(Buffer.buffer(heads[index]));
        file.setReadPos(range.start()).setReadLength(range.length());
        return file.pipe().endOnComplete(false).to(response).compose(done -> part(response, file, index + 1));
    }
}
