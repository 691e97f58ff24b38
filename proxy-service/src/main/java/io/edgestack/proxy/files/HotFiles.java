package io.edgestack.proxy.files;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

import org.jboss.logging.Logger;

import com.aayushatharva.brotli4j.encoder.Encoder;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.luben.zstd.Zstd;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.compression.Brotli;
import io.vertx.core.buffer.Buffer;

/**
 * In-memory copies of the live releases' small files, keyed by release folder and request path, bounded in bytes
 * (least recently used copies go first). A file whose release ships no precompressed sidecars is compressed here once,
 * with br, zstd and gzip at high levels, instead of on every request. Loading reads the disk: call it from a worker.
 */
public final class HotFiles {

    private static final Logger LOG = Logger.getLogger(HotFiles.class);
    private static final char SEPARATOR = '\u0000';

    private final Cache<String, HotFile> cache;
    private final Set<String> loading = ConcurrentHashMap.newKeySet();
    private final long maxFile;
    private final int minCompressSize;

    public HotFiles(long maxBytes, long maxFile, int minCompressSize) {
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String key, HotFile file) -> file.weight())
                .build();
        this.maxFile = maxFile;
        this.minCompressSize = minCompressSize;
    }

    static String key(Path release, String path) {
        return release.toString() + SEPARATOR + path;
    }

    HotFile get(Path release, String path) {
        return cache.getIfPresent(key(release, path));
    }

    /** Whether a found file is small enough to be held in memory. */
    boolean fits(Lookup lookup) {
        return maxFile > 0 && lookup.sourceSize() <= maxFile;
    }

    /**
     * Claims the loading of a key, so that concurrent misses load a file once; the claimant must call
     * {@link #load} (which releases the claim) or {@link #release}.
     */
    boolean claim(Path release, String path) {
        return loading.add(key(release, path));
    }

    void release(Path release, String path) {
        loading.remove(key(release, path));
    }

    /** Reads a found file, its sidecars or freshly compressed variants, and keeps them. Blocking. */
    HotFile load(Path release, String path, Lookup lookup, String cacheControl) throws IOException {
        try {
            HotFile file = read(lookup, cacheControl);
            cache.put(key(release, path), file);
            return file;
        } finally {
            release(release, path);
        }
    }

    /** Drops the copies of a release that is no longer live. */
    void retire(Path release) {
        String prefix = release.toString() + SEPARATOR;
        cache.asMap().keySet().removeIf(key -> key.startsWith(prefix));
    }

    /** Drops every copy (a purge). */
    public void clear() {
        cache.invalidateAll();
    }

    /** Bytes held now. */
    public long weight() {
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0L)).orElse(0L);
    }

    private HotFile read(Lookup lookup, String cacheControl) throws IOException {
        Path source = lookup.source();
        byte[] bytes = Files.readAllBytes(source);
        long modified = lookup.modifiedMillis();
        String type = MimeTypes.forName(source.getFileName().toString());
        String tag = Long.toHexString(modified) + "-" + Long.toHexString(bytes.length);
        HotFile.Variant identity = new HotFile.Variant(null, direct(bytes), "\"" + tag + "\"");
        List<HotFile.Variant> encoded = new ArrayList<>(3);
        if (!lookup.sidecars().isEmpty()) {
            for (String coding : lookup.sidecars()) {
                Path sidecar = source.resolveSibling(source.getFileName() + "." + ReleaseFiles.extension(coding));
                byte[] body = Files.readAllBytes(sidecar);
                encoded.add(new HotFile.Variant(coding, direct(body),
                        "\"" + tag.substring(0, tag.indexOf('-')) + "-" + Long.toHexString(body.length) + "-" + coding + "\""));
            }
        } else if (bytes.length >= minCompressSize && !MimeTypes.compressed(type)
                && (cacheControl == null || !cacheControl.contains("no-transform"))) {
            String weak = "W/\"" + tag + "\"";
            for (String coding : ReleaseFiles.CODINGS) {
                byte[] body = compress(coding, bytes);
                if (body != null && body.length < bytes.length) {
                    encoded.add(new HotFile.Variant(coding, direct(body), weak));
                }
            }
        }
        return new HotFile(source, bytes.length, modified, type, identity, encoded, System.nanoTime());
    }

    private static byte[] compress(String coding, byte[] bytes) throws IOException {
        try {
            return switch (coding) {
                case "br" -> Brotli.isAvailable() ? Encoder.compress(bytes, new Encoder.Parameters().setQuality(7)) : null;
                case "zstd" -> Zstd.compress(bytes, 12);
                case "gzip" -> gzip(bytes);
                default -> null;
            };
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.debugf(e, "No %s variant: the compressor failed", coding);
            return null;
        }
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3 + 64);
        try (GZIPOutputStream gzip = new GZIPOutputStream(out, 8192) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            gzip.write(bytes);
        }
        return out.toByteArray();
    }

    /** Off-heap and shared by every response that sends it (each write takes its own read index). */
    private static Buffer direct(byte[] bytes) {
        return Buffer.buffer(Unpooled.unreleasableBuffer(Unpooled.directBuffer(bytes.length).writeBytes(bytes)));
    }
}
