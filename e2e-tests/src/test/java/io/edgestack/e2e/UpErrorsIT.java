package io.edgestack.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code bin/edgestack up} does when something is in the way: a taken port, a missing jar, no Java.
 */
class UpErrorsIT {

    private static final List<String> MODULES = List.of("proxy-service", "tunnel-service", "deploy-service", "monitor-service");

    @TempDir
    Path runDir;

    @Test
    void refusesToStartWhenAPortIsTakenAndNamesTheProcessHoldingIt() throws Exception {
        Cli cli = new Cli(Cli.repositoryRoot(), runDir).freePorts();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            cli.env("EDGESTACK_PROXY_PORT", String.valueOf(taken.getLocalPort()));

            Cli.Result up = cli.run("up", "-d");

            assertNotEquals(0, up.exitCode());
            String expected = "port " + taken.getLocalPort() + " (proxy public) is in use by pid " + ProcessHandle.current().pid();
            assertTrue(up.output().contains(expected), "names the port, its role and the holder:\n" + up.output());
            assertNoProcessStarted();
        }
    }

    @Test
    void refusesToStartWithoutJavaAndSaysWhatToInstall() throws Exception {
        Path bin = Files.createDirectories(runDir.resolve("path-without-java"));
        for (String tool : List.of("bash", "env", "dirname", "mkdir", "cat", "sed", "head", "cut", "tr", "paste", "find")) {
            Path real = Stream.of("/usr/bin", "/bin").map(d -> Path.of(d, tool)).filter(Files::isExecutable).findFirst()
                    .orElseThrow();
            Files.createSymbolicLink(bin.resolve(tool), real);
        }
        Cli cli = new Cli(Cli.repositoryRoot(), runDir.resolve("run")).env("PATH", bin.toString()).env("JAVA_HOME", "");

        Cli.Result up = cli.run("up", "-d");

        assertNotEquals(0, up.exitCode());
        assertTrue(up.output().contains("Java 17 or newer is needed and none was found"), up.output());
    }

    @Test
    void rebuildsAMissingJarThenStartsTheSuite(@TempDir Path tree) throws Exception {
        Path root = Cli.repositoryRoot();
        copyTree(root, tree);
        Cli cli = new Cli(tree, runDir).freePorts().env("EDGESTACK_MVN_ARGS", "-o -q");

        Cli.Result stale = cli.run("stale");
        assertEquals("proxy-service", stale.output().strip(), "only the module without a jar is stale");

        Cli.Result noMaven = new Cli(tree, runDir).freePorts().env("EDGESTACK_MVN", "mvn-not-installed").run("up", "-d");
        assertNotEquals(0, noMaven.exitCode());
        assertTrue(noMaven.output().contains("Maven is needed to build proxy-service"), noMaven.output());

        try {
            Cli.Result up = cli.run("up", "-d");
            assertEquals(0, up.exitCode(), up.output());
            assertTrue(up.output().contains("Building proxy-service (jars missing or older than their sources)"), up.output());
            assertTrue(Files.isRegularFile(tree.resolve("proxy-service/target/quarkus-app/quarkus-run.jar")));
            assertTrue(Http.listening(Integer.parseInt(cli.env("EDGESTACK_PROXY_MGMT_PORT"))));
            assertEquals("", cli.run("stale").output().strip(), "nothing is stale after the build");
        } finally {
            assertEquals(0, cli.run("down").exitCode());
        }

        Path source = tree.resolve("monitor-service/src/main/resources/application.properties");
        Files.setLastModifiedTime(source, FileTime.from(Instant.now().plusSeconds(60)));
        assertEquals("monitor-service", cli.run("stale").output().strip(), "a source newer than its jar makes it stale");
    }

    /** A copy of the repository where every service is built except proxy-service. */
    private static void copyTree(Path root, Path tree) throws IOException {
        for (String file : List.of("pom.xml", "bin", "examples", "e2e-tests/pom.xml", "testkit/pom.xml", "testkit/src",
                "cluster/pom.xml", "cluster/src")) {
            copy(root.resolve(file), tree.resolve(file));
        }
        for (String module : MODULES) {
            copy(root.resolve(module + "/pom.xml"), tree.resolve(module + "/pom.xml"));
            copy(root.resolve(module + "/src"), tree.resolve(module + "/src"));
            if (!module.equals("proxy-service")) {
                copy(root.resolve(module + "/target/quarkus-app"), tree.resolve(module + "/target/quarkus-app"));
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private void assertNoProcessStarted() throws IOException {
        Path pids = runDir.resolve("pids");
        if (Files.isDirectory(pids)) {
            try (Stream<Path> files = Files.list(pids)) {
                assertFalse(files.findAny().isPresent(), "no pid file written");
            }
        }
    }
}
