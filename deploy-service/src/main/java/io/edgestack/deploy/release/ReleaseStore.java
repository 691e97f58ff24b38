package io.edgestack.deploy.release;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import jakarta.enterprise.context.ApplicationScoped;

import io.edgestack.deploy.config.DeployConfig;

/**
 * The release folders of each site, {@code <releases-root>/<site>/<timestamp>-<short-sha>/}, and the {@code current}
 * link that proxy-service follows. A release appears under its name only once fully copied (it is built under a dot
 * name and renamed), is never changed afterwards, and the link is switched by renaming a new link over it: a request
 * sees the old release or the new one, never a mix. Blocking: run on worker threads.
 */
@ApplicationScoped
public class ReleaseStore {

    /** Folder inside each release with its manifest and metadata; proxy-service never serves dot paths. */
    public static final String META = ".edgestack";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final Path root;

    public ReleaseStore(DeployConfig config) {
        this.root = config.releasesRoot().toAbsolutePath().normalize();
    }

    public Path siteDir(String site) {
        return root.resolve(site);
    }

    public Path folder(String site, String release) {
        return siteDir(site).resolve(release);
    }

    /** A new release name, unique among the site's releases. */
    public String newName(String site, String commit, Instant at) {
        String base = STAMP.format(at) + "-" + commit.substring(0, Math.min(7, commit.length()));
        String name = base;
        for (int n = 2; Files.exists(folder(site, name), LinkOption.NOFOLLOW_LINKS); n++) {
            name = base + "-" + n;
        }
        return name;
    }

    /**
     * Copies {@code source} (without its {@code .git}) into a new release folder and writes its manifest (path → SHA-256)
     * and metadata. Returns the manifest.
     */
    public Map<String, String> create(String site, String name, Path source, String metadataJson) throws IOException {
        Path siteDir = siteDir(site);
        Files.createDirectories(siteDir);
        Path incoming = siteDir.resolve(".incoming-" + name);
        deleteTree(incoming);
        Map<String, String> manifest = new TreeMap<>();
        Path from = source.toRealPath();
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(from) && dir.getParent().equals(from)
                        && (dir.getFileName().toString().equals(".git") || dir.getFileName().toString().equals(META))) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(incoming.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String relative = from.relativize(file).toString().replace('\\', '/');
                Path target = incoming.resolve(relative);
                if (attrs.isSymbolicLink()) {
                    Files.copy(file, target, LinkOption.NOFOLLOW_LINKS);
                    manifest.put(relative, "link:" + Files.readSymbolicLink(file));
                } else if (attrs.isRegularFile()) {
                    manifest.put(relative, copyHashing(file, target));
                }
                return FileVisitResult.CONTINUE;
            }
        });
        Path meta = Files.createDirectories(incoming.resolve(META));
        StringBuilder lines = new StringBuilder();
        manifest.forEach((path, hash) -> lines.append(hash).append('\t').append(path).append('\n'));
        Files.writeString(meta.resolve("manifest.tsv"), lines, StandardCharsets.UTF_8);
        Files.writeString(meta.resolve("release.json"), metadataJson, StandardCharsets.UTF_8);
        Files.move(incoming, folder(site, name), StandardCopyOption.ATOMIC_MOVE);
        return manifest;
    }

    /** The manifest of a release (empty when it has none, for example a release made by hand). */
    public Map<String, String> manifest(String site, String release) throws IOException {
        Path file = folder(site, release).resolve(META).resolve("manifest.tsv");
        Map<String, String> manifest = new TreeMap<>();
        if (!Files.isRegularFile(file)) {
            return manifest;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                manifest.put(line.substring(tab + 1), line.substring(0, tab));
            }
        }
        return manifest;
    }

    /** Files added, changed or removed between two manifests, sorted. */
    public static List<String> changedFiles(Map<String, String> before, Map<String, String> after) {
        Set<String> changed = new TreeSet<>();
        after.forEach((path, hash) -> {
            if (!hash.equals(before.get(path))) {
                changed.add(path);
            }
        });
        before.keySet().stream().filter(path -> !after.containsKey(path)).forEach(changed::add);
        return new ArrayList<>(changed);
    }

    /** The live release of a site (the target of its {@code current} link or pointer file), or null. */
    public String live(String site) {
        Path pointer = siteDir(site).resolve("current");
        try {
            if (Files.isSymbolicLink(pointer)) {
                return Files.readSymbolicLink(pointer).getFileName().toString();
            }
            if (Files.isRegularFile(pointer)) {
                String name = Files.readString(pointer).trim();
                return name.isEmpty() ? null : name;
            }
            return null;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + pointer, e);
        }
    }

    /** Makes {@code release} live: a new relative link renamed over {@code current} in one atomic step. */
    public void switchTo(String site, String release) throws IOException {
        Path siteDir = siteDir(site);
        if (!Files.isDirectory(folder(site, release), LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(folder(site, release).toString(), null, "no such release");
        }
        Path link = siteDir.resolve(".current-" + release + "-" + System.nanoTime());
        try {
            Files.createSymbolicLink(link, Path.of(release));
        } catch (FileAlreadyExistsException e) {
            Files.delete(link);
            Files.createSymbolicLink(link, Path.of(release));
        }
        Files.move(link, siteDir.resolve("current"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The file that puts a site in maintenance: proxy-service answers its visitors 503 while it exists. */
    public static final String MAINTENANCE = "maintenance.json";

    /** The site's maintenance file as written ({@code {"message", "since", "by"}}), or null when it is live. */
    public String maintenance(String site) {
        try {
            return Files.readString(siteDir(site).resolve(MAINTENANCE));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + siteDir(site).resolve(MAINTENANCE), e);
        }
    }

    /** Writes the maintenance file whole, in one atomic rename (a proxy never reads half of it). */
    public void startMaintenance(String site, String json) throws IOException {
        Path siteDir = siteDir(site);
        Files.createDirectories(siteDir);
        Path temporary = siteDir.resolve(".maintenance-" + System.nanoTime());
        Files.writeString(temporary, json);
        Files.move(temporary, siteDir.resolve(MAINTENANCE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Removes the maintenance file; false when the site was not in maintenance. */
    public boolean endMaintenance(String site) throws IOException {
        return Files.deleteIfExists(siteDir(site).resolve(MAINTENANCE));
    }

    /** The site's release folders, oldest first (names start with their UTC time). */
    public List<String> list(String site) throws IOException {
        Path siteDir = siteDir(site);
        if (!Files.isDirectory(siteDir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(siteDir)) {
            return entries.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .map(p -> p.getFileName().toString()).filter(name -> !name.startsWith(".")).sorted().toList();
        }
    }

    /**
     * Deletes the oldest releases beyond {@code keep}, never one in {@code protectedReleases} (the live one and the
     * rollback target). A release is renamed to a dot name before it is deleted, so no half-deleted folder keeps its
     * name. Returns the names deleted.
     */
    public List<String> prune(String site, int keep, Set<String> protectedReleases) throws IOException {
        List<String> all = list(site);
        List<String> deleted = new ArrayList<>();
        int excess = all.size() - Math.max(keep, 1);
        for (String name : all) {
            if (excess <= 0) {
                break;
            }
            if (protectedReleases.contains(name)) {
                continue;
            }
            Path trash = siteDir(site).resolve(".deleting-" + name);
            Files.move(folder(site, name), trash, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(trash);
            deleted.add(name);
            excess--;
        }
        return deleted;
    }

    /** Removes leftovers of an interrupted copy or delete (dot folders other than the metadata). */
    public void cleanLeftovers(String site) throws IOException {
        Path siteDir = siteDir(site);
        if (!Files.isDirectory(siteDir)) {
            return;
        }
        try (Stream<Path> entries = Files.list(siteDir)) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                if (name.startsWith(".incoming-") || name.startsWith(".deleting-") || name.startsWith(".current-")
                        || name.startsWith(".maintenance-")) {
                    deleteTree(entry);
                }
            }
        }
    }

    /** Deletes a file or a folder with everything in it (links are removed, not followed); nothing when it is absent. */
    public static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(path);
            return;
        }
        Files.walkFileTree(path, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static String copyHashing(Path file, Path target) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            Files.copy(in, target);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
