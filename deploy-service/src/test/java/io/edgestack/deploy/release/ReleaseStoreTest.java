package io.edgestack.deploy.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgestack.deploy.config.TestConfigs;

class ReleaseStoreTest {

    @TempDir
    Path dir;

    private ReleaseStore store() {
        return new ReleaseStore(TestConfigs.deploy(dir));
    }

    private Path source(String name, Map<String, String> files) throws Exception {
        Path source = dir.resolve(name);
        for (var file : files.entrySet()) {
            Files.createDirectories(source.resolve(file.getKey()).getParent());
            Files.writeString(source.resolve(file.getKey()), file.getValue());
        }
        Files.createDirectories(source.resolve(".git"));
        Files.writeString(source.resolve(".git/HEAD"), "ref: refs/heads/main");
        return source;
    }

    @Test
    void copiesWithoutGitAndListsChangedFiles() throws Exception {
        ReleaseStore store = store();
        String one = store.newName("site", "aaaaaaa1111", Instant.parse("2026-01-01T10:00:00Z"));
        assertEquals("20260101T100000.000Z-aaaaaaa", one);
        Map<String, String> m1 = store.create("site", one, source("s1", Map.of("index.html", "1", "a.css", "a", "old.html", "o")), "{}");
        assertFalse(Files.exists(store.folder("site", one).resolve(".git")));
        assertTrue(Files.exists(store.folder("site", one).resolve(".edgestack/release.json")));
        String two = store.newName("site", "bbbbbbb", Instant.parse("2026-01-01T10:00:01Z"));
        Map<String, String> m2 = store.create("site", two, source("s2", Map.of("index.html", "2", "a.css", "a", "new.html", "n")), "{}");
        assertEquals(m1, store.manifest("site", one));
        assertEquals(List.of("index.html", "new.html", "old.html"), ReleaseStore.changedFiles(m1, m2));
        assertEquals("20260101T100000.000Z-aaaaaaa-2", store.newName("site", "aaaaaaa", Instant.parse("2026-01-01T10:00:00Z")));
    }

    @Test
    void readersNeverSeeAMissingOrMixedReleaseWhileItSwitches() throws Exception {
        ReleaseStore store = store();
        String a = store.newName("site", "aaaaaaa", Instant.parse("2026-01-01T10:00:00Z"));
        store.create("site", a, source("a", Map.of("index.html", "A", "page.html", "A")), "{}");
        String b = store.newName("site", "bbbbbbb", Instant.parse("2026-01-01T10:00:01Z"));
        store.create("site", b, source("b", Map.of("index.html", "B", "page.html", "B")), "{}");
        store.switchTo("site", a);
        Path current = store.siteDir("site").resolve("current");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger reads = new AtomicInteger();
        AtomicReference<String> problem = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            while (!stop.get()) {
                try {
                    Path release = current.toRealPath();
                    String index = Files.readString(release.resolve("index.html"));
                    String page = Files.readString(release.resolve("page.html"));
                    if (!index.equals(page)) {
                        problem.set("mixed: " + index + page);
                    }
                    reads.incrementAndGet();
                } catch (Exception e) {
                    problem.set(e.toString());
                }
            }
        });
        reader.start();
        for (int i = 0; i < 2000; i++) {
            store.switchTo("site", i % 2 == 0 ? b : a);
        }
        stop.set(true);
        reader.join();
        assertEquals(null, problem.get(), "after " + reads.get() + " reads");
        assertTrue(reads.get() > 100, "reads: " + reads.get());
        assertEquals(a, store.live("site"));
    }

    @Test
    void pruneKeepsTheNewestAndTheProtectedOnes() throws Exception {
        ReleaseStore store = store();
        for (int i = 0; i < 6; i++) {
            store.create("site", store.newName("site", "c" + i + "aaaaaa", Instant.parse("2026-01-01T10:00:0" + i + "Z")),
                    source("p" + i, Map.of("index.html", "" + i)), "{}");
        }
        List<String> all = store.list("site");
        List<String> deleted = store.prune("site", 3, Set.of(all.get(0)));
        assertEquals(List.of(all.get(1), all.get(2), all.get(3)), deleted);
        assertEquals(List.of(all.get(0), all.get(4), all.get(5)), store.list("site"));
    }
}
