package io.edgestack.deploy.release;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pre-switch check on real folders: a static site, a PHP site (proxy-service's fastcgi routes), and neither. */
class ReleaseCheckTest {

    @TempDir
    Path dir;

    @Test
    void aStaticSiteAndAPhpSiteMayGoLiveAndAReleaseWithNeitherIndexMayNot() throws Exception {
        Path statics = Files.createDirectories(dir.resolve("static"));
        Files.writeString(statics.resolve("index.html"), "<h1>hi</h1>");
        Files.createDirectories(statics.resolve("blog"));
        Files.writeString(statics.resolve("blog/index.html"), "<h1>blog</h1>");
        assertEquals(List.of(), ReleaseCheck.failures(statics, List.of("/", "/blog/", "/blog")));

        Path php = Files.createDirectories(dir.resolve("php"));
        Files.writeString(php.resolve("index.php"), "<?php echo 'hi';");
        Files.createDirectories(php.resolve("shop"));
        Files.writeString(php.resolve("shop/index.php"), "<?php echo 'shop';");
        assertEquals(List.of(), ReleaseCheck.failures(php, List.of("/", "/shop/", "/shop")));

        Path neither = Files.createDirectories(dir.resolve("neither"));
        Files.writeString(neither.resolve("readme.txt"), "nothing to serve");
        assertEquals(List.of("index.html: no file in the release (looked for index.html, index.php)",
                "health path /shop/: no file in the release (looked for shop/index.html, shop/index.php)"),
                ReleaseCheck.failures(neither, List.of("/shop/")));
        Files.writeString(neither.resolve("index.php"), "");
        assertEquals(List.of("index.html: index.php is empty"), ReleaseCheck.failures(neither, List.of()));
    }
}
