package io.edgestack.proxy.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import org.jboss.logging.Logger;

/**
 * A settings file a release carries at its root ({@code _redirects}, {@code _headers}): its lines, and the warnings
 * that name the release, the file and the line of what is skipped.
 */
final class ReleaseFile {

    private static final Logger LOG = Logger.getLogger(ReleaseFile.class);
    private static final int MAX_LINES = 10_000;

    private ReleaseFile() {
    }

    /** Its first 10,000 lines, or an empty list when the release has no such file or it cannot be read (said). */
    static List<String> lines(Path release, String file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(release.resolve(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.warnf("Release %s: %s could not be read (%s); nothing from it", release.getFileName(), file, e.getMessage());
            return List.of();
        }
        if (lines.size() > MAX_LINES) {
            LOG.warnf("Release %s: %s has %d lines; only the first %d are read", release.getFileName(), file, lines.size(),
                    MAX_LINES);
            return lines.subList(0, MAX_LINES);
        }
        return lines;
    }

    /** Says that line {@code index} (from 0) of the file was skipped, and why. */
    static void skipped(Path release, String file, int index, String why, String line) {
        LOG.warnf("Release %s: %s line %d ignored (%s): %s", release.getFileName(), file, index + 1, why, line);
    }

    /** Says what was read from the file, when anything was. */
    static void read(Path release, String file, String what) {
        LOG.infof("Release %s: %s from %s", release.getFileName(), what, file);
    }
}
