package io.edgestack.proxy.site;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service, started as a real process with an invalid sites file, stops and names the key at fault.
 */
class InvalidConfigIT {

    @Test
    void refusesToStartWithAnInvalidSitesFileAndNamesTheKey(@TempDir Path dir) throws Exception {
        Path sites = Files.writeString(dir.resolve("sites.yaml"), """
                sites:
                  - name: example
                    routes:
                      - path: /api/
                        upstream: {targets: ["ftp://files.example.com"]}
                """);
        Path log = dir.resolve("out.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(java, "-Dquarkus.http.port=0", "-Dquarkus.management.port=0",
                "-Dedgestack.proxy.sites-file=" + sites, "-jar", "target/quarkus-app/quarkus-run.jar"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String output = Files.readString(log);
        assertTrue(exited, "the service stopped by itself:\n" + output);
        assertNotEquals(0, process.exitValue());
        assertTrue(output.contains("sites[0].routes[0].upstream.targets[0]: 'ftp://files.example.com' must be an http://, https:// or h2c://"),
                output);
    }
}
