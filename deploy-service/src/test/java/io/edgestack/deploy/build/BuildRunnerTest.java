package io.edgestack.deploy.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildRunnerTest {

    @TempDir
    Path dir;

    @Test
    void capturesOutputAndEnvironmentAndLiveReaders() throws Exception {
        List<String> seen = new ArrayList<>();
        try (BuildLog log = new BuildLog(dir.resolve("logs/1.log"))) {
            log.follow(new BuildLog.Reader(seen::add, () -> seen.add("<end>")));
            new BuildRunner().run("build", "echo hello $WHO; echo oops >&2", dir, Map.of("WHO", "ada"), Duration.ofSeconds(10),
                    log);
        }
        String file = Files.readString(dir.resolve("logs/1.log"));
        assertTrue(file.contains("hello ada") && file.contains("oops"), file);
        assertTrue(seen.contains("hello ada") && seen.get(seen.size() - 1).equals("<end>"), seen.toString());
    }

    @Test
    void failsWithTheExitStatusAndTheLastLines() {
        try (BuildLog log = new BuildLog(dir.resolve("2.log"))) {
            BuildRunner.CommandFailed failed = assertThrows(BuildRunner.CommandFailed.class,
                    () -> new BuildRunner().run("build", "echo compiling; echo 'error: x' ; exit 7", dir, Map.of(),
                            Duration.ofSeconds(10), log));
            assertEquals("the build exited with status 7; last output: compiling | error: x", failed.getMessage());
        }
    }

    @Test
    void stopsACommandAndWhatItStartedAtTheTimeLimit() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        long start = System.nanoTime();
        try (BuildLog log = new BuildLog(dir.resolve("3.log"))) {
            BuildRunner.CommandFailed failed = assertThrows(BuildRunner.CommandFailed.class,
                    () -> new BuildRunner().run("build", "sleep 30 & echo $! > child.pid; wait", dir, Map.of(),
                            Duration.ofMillis(500), log));
            assertTrue(failed.getMessage().startsWith("the build timed out after 500 ms and was stopped"), failed.getMessage());
        }
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos());
        long child = Long.parseLong(Files.readString(pidFile).trim());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true), "the build's child process is gone");
    }
}
