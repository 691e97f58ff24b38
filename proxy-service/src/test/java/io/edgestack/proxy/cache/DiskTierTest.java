package io.edgestack.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

class DiskTierTest {

    private static CachedResponse entry(String primary, String body) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Content-Type", "text/html").add("ETag", "\"e1\"")
                .add("Link", "</a.css>; rel=preload").add("Link", "</b.js>; rel=preload");
        return new CachedResponse(primary, 200, headers, Buffer.buffer(body), 1000, 1010, 1000, 3, 60_000, 5_000, 0,
                false, false, List.of("accept-encoding"), Set.of("blog", "all"));
    }

    @Test
    void readsBackWhatWasWrittenAfterARestart(@TempDir Path dir) throws Exception {
        DiskTier first = new DiskTier(dir, 1 << 20, evicted -> { });
        first.write("k1", entry("http://a.test/one", "first body"));
        first.write("k2", entry("http://a.test/two", "second body"));

        DiskTier restarted = new DiskTier(dir, 1 << 20, evicted -> { });
        assertEquals(Set.of("k1", "k2"), restarted.index().keySet());
        assertEquals("http://a.test/one", restarted.index().get("k1").primary());
        assertEquals(Set.of("blog", "all"), restarted.index().get("k1").tags());
        CachedResponse back = restarted.read("k1");
        assertNotNull(back);
        assertEquals("first body", back.body().toString());
        assertEquals(200, back.status());
        assertEquals(List.of("</a.css>; rel=preload", "</b.js>; rel=preload"), back.headers().getAll("Link"));
        assertEquals(60_000, back.lifetimeMs());
        assertEquals(5_000, back.staleWhileRevalidateMs());
        assertEquals(1010, back.responseTime());
        assertEquals(List.of("accept-encoding"), back.varyNames());
    }

    @Test
    void neverServesAFileThatFailsItsChecksumAndDeletesIt(@TempDir Path dir) throws Exception {
        DiskTier tier = new DiskTier(dir, 1 << 20, evicted -> { });
        tier.write("k1", entry("http://a.test/one", "the original body"));
        Path file = dir.resolve(DiskTier.name("k1"));
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 12] ^= 0x20; // one flipped bit in the body
        Files.write(file, bytes);

        DiskTier restarted = new DiskTier(dir, 1 << 20, evicted -> { });
        assertTrue(restarted.contains("k1"), "the header still reads; the body is checked when it is used");
        assertNull(restarted.read("k1"), "a damaged entry is a miss");
        assertFalse(restarted.contains("k1"));
        assertFalse(Files.exists(file), "and its file is gone");
    }

    @Test
    void dropsUnreadableAndUnfinishedFilesWhenItStarts(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(DiskTier.name("junk")), "not a cache file");
        Files.writeString(dir.resolve(DiskTier.name("half") + ".tmp"), "ESC1 half written");
        DiskTier tier = new DiskTier(dir, 1 << 20, evicted -> { });
        assertTrue(tier.index().isEmpty());
        try (var listing = Files.list(dir)) {
            assertEquals(0, listing.count(), "both removed");
        }
    }

    @Test
    void staysWithinItsSizeByDeletingTheLeastRecentlyUsed(@TempDir Path dir) throws Exception {
        List<String> evicted = new ArrayList<>();
        DiskTier tier = new DiskTier(dir, 3500, e -> evicted.add(e.key())); // room for two entries of ~1.4 KB, not three
        String body = "x".repeat(900);
        tier.write("k1", entry("http://a.test/1", body));
        tier.write("k2", entry("http://a.test/2", body));
        assertNotNull(tier.read("k1")); // k1 is now the most recently used
        tier.write("k3", entry("http://a.test/3", body));
        assertEquals(List.of("k2"), evicted);
        assertTrue(tier.bytes() <= 3500);
        assertTrue(tier.contains("k1") && tier.contains("k3"));
    }
}
