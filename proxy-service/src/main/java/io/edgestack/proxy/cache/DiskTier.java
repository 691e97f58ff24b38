package io.edgestack.proxy.cache;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.jboss.logging.Logger;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The disk tier of the edge cache: one file per entry in the cache folder, written to a temporary name and renamed,
 * so a crash leaves whole files or none; bounded in bytes (least recently used files go first); read back after a
 * restart. Each file ends with a CRC32C of everything before it: a file that fails it is a miss, and is deleted.
 * Blocking file I/O: call it from worker threads.
 *
 * <pre>
 * "ESC1" | int header length | header (JSON: key, primary, status, headers, times, directives, vary, tags)
 *        | long body length | body | long CRC32C
 * </pre>
 */
final class DiskTier {

    private static final Logger LOG = Logger.getLogger(DiskTier.class);
    private static final byte[] MAGIC = "ESC1".getBytes(StandardCharsets.US_ASCII);
    private static final String SUFFIX = ".entry";

    /** What the index knows of a file without reading its body. */
    record Indexed(String key, String primary, List<String> vary, Set<String> tags, Path file, long size) {
    }

    private final Path dir;
    private final long maxBytes;
    private final Map<String, Indexed> index = new ConcurrentHashMap<>();
    private final Map<String, Long> lastUsed = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();
    private final Consumer<Indexed> onEvicted;

    DiskTier(Path dir, long maxBytes, Consumer<Indexed> onEvicted) throws IOException {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.onEvicted = onEvicted;
        Files.createDirectories(dir);
        scan();
    }

    Map<String, Indexed> index() {
        return index;
    }

    boolean contains(String key) {
        return index.containsKey(key);
    }

    long bytes() {
        return bytes.get();
    }

    void write(String key, CachedResponse entry) throws IOException {
        JsonObject header = new JsonObject()
                .put("key", key).put("primary", entry.primaryKey()).put("status", entry.status())
                .put("requestTime", entry.requestTime()).put("responseTime", entry.responseTime())
                .put("dateValue", entry.dateValue()).put("ageValue", entry.ageValue()).put("lifetimeMs", entry.lifetimeMs())
                .put("swrMs", entry.staleWhileRevalidateMs()).put("sieMs", entry.staleIfErrorMs())
                .put("mustRevalidate", entry.mustRevalidate()).put("noCache", entry.noCache())
                .put("vary", new JsonArray(new ArrayList<>(entry.varyNames())))
                .put("tags", new JsonArray(new ArrayList<>(entry.tags())));
        JsonArray headers = new JsonArray();
        entry.headers().forEach(h -> headers.add(new JsonArray().add(h.getKey()).add(h.getValue())));
        header.put("headers", headers);
        byte[] head = header.encode().getBytes(StandardCharsets.UTF_8);
        byte[] body = entry.body().getBytes();

        ByteArrayOutputStream bytesOut = new ByteArrayOutputStream(head.length + body.length + 32);
        DataOutputStream out = new DataOutputStream(bytesOut);
        out.write(MAGIC);
        out.writeInt(head.length);
        out.write(head);
        out.writeLong(body.length);
        out.write(body);
        CRC32C crc = new CRC32C();
        crc.update(bytesOut.toByteArray());
        out.writeLong(crc.getValue());
        out.flush();

        Path file = dir.resolve(name(key));
        Path temporary = dir.resolve(name(key) + ".tmp");
        Files.write(temporary, bytesOut.toByteArray());
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Indexed indexed = new Indexed(key, entry.primaryKey(), entry.varyNames(), entry.tags(), file, bytesOut.size());
        Indexed previous = index.put(key, indexed);
        bytes.addAndGet(indexed.size() - (previous == null ? 0 : previous.size()));
        lastUsed.put(key, System.nanoTime());
        evictOverflow();
    }

    /** The entry stored under a key, or null when there is none or its file is damaged (then it is deleted). */
    CachedResponse read(String key) {
        Indexed indexed = index.get(key);
        if (indexed == null) {
            return null;
        }
        try {
            CachedResponse entry = decode(Files.readAllBytes(indexed.file()), key);
            lastUsed.put(key, System.nanoTime());
            return entry;
        } catch (NoSuchFileException e) {
            remove(key);
            return null;
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Cache file %s is damaged (%s): deleted, answered as a miss", indexed.file(), e.getMessage());
            remove(key);
            return null;
        }
    }

    void remove(String key) {
        Indexed indexed = index.remove(key);
        lastUsed.remove(key);
        if (indexed != null) {
            bytes.addAndGet(-indexed.size());
            try {
                Files.deleteIfExists(indexed.file());
            } catch (IOException e) {
                LOG.warnf("Cannot delete cache file %s: %s", indexed.file(), e.getMessage());
            }
        }
    }

    void clear() {
        for (String key : new ArrayList<>(index.keySet())) {
            remove(key);
        }
    }

    private void evictOverflow() {
        if (bytes.get() <= maxBytes) {
            return;
        }
        List<Map.Entry<String, Long>> byAge = new ArrayList<>(lastUsed.entrySet());
        byAge.sort(Map.Entry.comparingByValue());
        for (Map.Entry<String, Long> oldest : byAge) {
            if (bytes.get() <= maxBytes) {
                break;
            }
            Indexed indexed = index.get(oldest.getKey());
            remove(oldest.getKey());
            if (indexed != null) {
                onEvicted.accept(indexed);
            }
        }
    }

    private void scan() throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.toList();
        }
        long order = 0;
        for (Path file : files.stream().sorted(Comparator.comparing(DiskTier::modified)).toList()) {
            String name = file.getFileName().toString();
            if (name.endsWith(".tmp")) {
                Files.deleteIfExists(file); // a write that never finished
                continue;
            }
            if (!name.endsWith(SUFFIX)) {
                continue;
            }
            try (InputStream stream = Files.newInputStream(file)) {
                DataInputStream in = new DataInputStream(stream);
                byte[] magic = in.readNBytes(4);
                int length = in.readInt();
                if (!java.util.Arrays.equals(magic, MAGIC) || length <= 0 || length > 16 * 1024 * 1024) {
                    throw new IOException("not a cache file");
                }
                JsonObject header = new JsonObject(new String(in.readNBytes(length), StandardCharsets.UTF_8));
                String key = header.getString("key");
                if (key == null || !name.equals(name(key))) {
                    throw new IOException("header does not match the file name");
                }
                Indexed indexed = new Indexed(key, header.getString("primary"), strings(header.getJsonArray("vary")),
                        Set.copyOf(strings(header.getJsonArray("tags"))), file, Files.size(file));
                index.put(key, indexed);
                lastUsed.put(key, order++);
                bytes.addAndGet(indexed.size());
            } catch (IOException | RuntimeException e) {
                LOG.warnf("Cache file %s is damaged (%s): deleted", file, e.getMessage());
                Files.deleteIfExists(file);
            }
        }
        if (!index.isEmpty()) {
            LOG.infof("Edge cache: %d entries (%d bytes) found on disk in %s", index.size(), bytes.get(), dir);
        }
        evictOverflow();
    }

    private static CachedResponse decode(byte[] data, String expectedKey) throws IOException {
        if (data.length < 24) {
            throw new IOException("truncated");
        }
        ByteBuffer buffer = ByteBuffer.wrap(data);
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length - 8);
        if (crc.getValue() != buffer.getLong(data.length - 8)) {
            throw new IOException("checksum mismatch");
        }
        byte[] magic = new byte[4];
        buffer.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IOException("bad magic");
        }
        byte[] head = new byte[buffer.getInt()];
        buffer.get(head);
        JsonObject header = new JsonObject(new String(head, StandardCharsets.UTF_8));
        if (!expectedKey.equals(header.getString("key"))) {
            throw new IOException("key mismatch");
        }
        long bodyLength = buffer.getLong();
        if (bodyLength != buffer.remaining() - 8) {
            throw new IOException("body length mismatch");
        }
        byte[] body = new byte[(int) bodyLength];
        buffer.get(body);
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (Object pair : header.getJsonArray("headers")) {
            JsonArray nameValue = (JsonArray) pair;
            headers.add(nameValue.getString(0), nameValue.getString(1));
        }
        return new CachedResponse(header.getString("primary"), header.getInteger("status"), headers, CacheStage.offHeap(Buffer.buffer(body)),
                header.getLong("requestTime"), header.getLong("responseTime"), header.getLong("dateValue"),
                header.getLong("ageValue"), header.getLong("lifetimeMs"), header.getLong("swrMs"), header.getLong("sieMs"),
                header.getBoolean("mustRevalidate"), header.getBoolean("noCache"), strings(header.getJsonArray("vary")),
                Set.copyOf(strings(header.getJsonArray("tags"))));
    }

    private static List<String> strings(JsonArray array) {
        List<String> values = new ArrayList<>();
        if (array != null) {
            array.forEach(value -> values.add(String.valueOf(value)));
        }
        return List.copyOf(values);
    }

    private static long modified(Path file) {
        try {
            return Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    static String name(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest) + SUFFIX;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
