package io.edgestack.deploy.release;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The check a release must pass before it goes live: its {@code index.html} (or, for a PHP site that proxy-service runs
 * through FastCGI, its {@code index.php}) and each configured health path must map to a readable, non-empty file inside
 * the release, the way proxy-service maps request paths (clean URLs as static site generators emit them, a folder's
 * index script). Returns what failed, in words; an empty list means it may go live.
 */
public final class ReleaseCheck {

    private ReleaseCheck() {
    }

    public static List<String> failures(Path release, List<String> healthPaths) throws IOException {
        List<String> failures = new ArrayList<>();
        Path root = release.toRealPath();
        checkFile(root, List.of("index.html", "index.php"), "index.html", failures);
        for (String path : healthPaths) {
            if (path.isBlank() || path.equals("/")) {
                continue;
            }
            if (!path.startsWith("/") || path.contains("..") || path.contains("//")) {
                failures.add("health path '" + path + "' is not an absolute path without '..'");
                continue;
            }
            checkFile(root, candidates(path), "health path " + path, failures);
        }
        return failures;
    }

    /** The files proxy-service would serve for a request path, in its order. */
    static List<String> candidates(String path) {
        String relative = path.substring(1);
        int query = relative.indexOf('?');
        if (query >= 0) {
            relative = relative.substring(0, query);
        }
        if (relative.isEmpty()) {
            return List.of("index.html", "index.php");
        }
        if (relative.endsWith("/")) {
            return List.of(relative + "index.html", relative + "index.php");
        }
        return List.of(relative, relative + "/index.html", relative + ".html", relative + "/index.php");
    }

    private static void checkFile(Path root, List<String> candidates, String what, List<String> failures) throws IOException {
        for (String candidate : candidates) {
            Path file = root.resolve(candidate);
            if (!Files.isRegularFile(file)) {
                continue;
            }
            Path real = file.toRealPath();
            if (!real.startsWith(root)) {
                failures.add(what + ": " + candidate + " is a link that leaves the release");
                return;
            }
            if (Files.size(real) == 0) {
                failures.add(what + ": " + candidate + " is empty");
                return;
            }
            if (!Files.isReadable(real)) {
                failures.add(what + ": " + candidate + " cannot be read");
            }
            return;
        }
        failures.add(what + ": no file in the release (looked for " + String.join(", ", candidates) + ")");
    }
}
