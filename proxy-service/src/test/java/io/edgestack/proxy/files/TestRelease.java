package io.edgestack.proxy.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Builds release folders the way deploy-service lays them out: {@code <root>/<site>/<id>/...} and a {@code current}
 * symbolic link switched atomically by rename.
 */
public final class TestRelease {

    private final Path siteDir;

    public TestRelease(Path releasesRoot, String site) {
        this.siteDir = releasesRoot.resolve(site);
    }

    public TestRelease clear() {
        if (Files.exists(siteDir)) {
            try (Stream<Path> paths = Files.walk(siteDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return this;
    }

    public Path file(String release, String path, String content) {
        return file(release, path, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public Path file(String release, String path, byte[] content) {
        try {
            Path file = siteDir.resolve(release).resolve(path);
            Files.createDirectories(file.getParent());
            return Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir(String release) {
        return siteDir.resolve(release);
    }

    /** Points {@code current} at a release, atomically (a new link renamed over the old one). */
    public void activate(String release) {
        try {
            Files.createDirectories(siteDir);
            Path next = siteDir.resolve(".current.next");
            Files.deleteIfExists(next);
            Files.createSymbolicLink(next, Path.of(release));
            Files.move(next, siteDir.resolve("current"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
