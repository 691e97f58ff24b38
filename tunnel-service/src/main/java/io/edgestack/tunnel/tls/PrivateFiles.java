package io.edgestack.tunnel.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Key material on disk (ACME keys, the tunnel CA, token files): owner-only folders (700) and files (600), each written
 * whole or not at all. On a file system without POSIX permissions its own access rules apply.
 */
public final class PrivateFiles {

    private PrivateFiles() {
    }

    public static void write(Path file, String content) throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        createFolders(folder);
        Path temporary = Files.createTempFile(folder, ".write-", ".tmp");
        try {
            permissions(temporary, "rw-------");
            Files.writeString(temporary, content, StandardCharsets.US_ASCII);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static void createFolders(Path folder) throws IOException {
        if (Files.isDirectory(folder)) {
            return;
        }
        if (folder.getParent() != null) {
            createFolders(folder.getParent());
        }
        Files.createDirectories(folder);
        permissions(folder, "rwx------");
    }

    private static void permissions(Path path, String permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its own permissions apply
        }
    }
}
