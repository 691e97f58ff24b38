package io.edgestack.proxy.files;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import io.vertx.core.buffer.Buffer;

/**
 * A file of a live release held in memory with its encoded variants (the release's own sidecars, or variants
 * compressed once when it was loaded). Release folders are not edited in place, so a copy stays right while the
 * file's size and modification time do; {@link #verifiedAt} says when those were last compared with the disk.
 */
final class HotFile {

    /** One representation: its coding (null for identity), its bytes and its entity tag. */
    record Variant(String coding, Buffer body, String etag) {
    }

    final Path source;
    final long size;
    final long modifiedMillis;
    final String contentType;
    final String lastModified;
    final Variant identity;
    /** Encoded variants, in the server's order of preference. */
    final List<Variant> encoded;
    final List<String> codings;
    final AtomicBoolean checking = new AtomicBoolean();
    volatile long verifiedAt;

    HotFile(Path source, long size, long modifiedMillis, String contentType, Variant identity, List<Variant> encoded,
            long verifiedAt) {
        this.source = source;
        this.size = size;
        this.modifiedMillis = modifiedMillis;
        this.contentType = contentType;
        this.lastModified = io.edgestack.proxy.http.HttpDate.format(modifiedMillis);
        this.identity = identity;
        this.encoded = List.copyOf(encoded);
        List<String> names = new ArrayList<>(encoded.size());
        encoded.forEach(v -> names.add(v.coding()));
        this.codings = List.copyOf(names);
        this.verifiedAt = verifiedAt;
    }

    /** Whether encoded variants exist, so that answers vary on Accept-Encoding. */
    boolean varies() {
        return !encoded.isEmpty();
    }

    Variant choose(String acceptEncoding) {
        String coding = AcceptEncoding.choose(acceptEncoding, codings);
        if (coding != null) {
            for (Variant variant : encoded) {
                if (variant.coding().equals(coding)) {
                    return variant;
                }
            }
        }
        return identity;
    }

    /** Whether the disk still holds what was loaded. */
    boolean matches(Lookup lookup) {
        return source.equals(lookup.source()) && size == lookup.sourceSize() && modifiedMillis == lookup.modifiedMillis();
    }

    /** Bytes held, for the cache's memory bound. */
    int weight() {
        long total = 256 + identity.body().length();
        for (Variant variant : encoded) {
            total += variant.body().length();
        }
        return (int) Math.min(Integer.MAX_VALUE, total);
    }
}
