package io.edgestack.monitor.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * monitor-service as a real process, killed with SIGKILL while an incident is open: after the restart the incident is
 * still open (the same one), and it is resolved, not opened again, once the site is back.
 */
class MonitorRestartIT {

    @TempDir
    Path root;

    private final HttpClient client = HttpClient.newHttpClient();
    private final List<Process> processes = new ArrayList<>();
    private Targets targets;

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
        if (targets != null) {
            targets.stop();
        }
    }

    @Test
    void anOpenIncidentSurvivesAKillAndIsResolvedOnceAfterTheRestart() throws Exception {
        targets = new Targets(root).start();
        targets.flag("site-down", true);
        int port = freePort();
        int management = freePort();
        Process first = start(port, management);
        String open = await(port, "/api/incidents?check=web", body -> body.contains("\"endedAt\":null"));
        String id = open.replaceAll("(?s)^\\[\\{\"id\":(\\d+),.*", "$1");
        Thread.sleep(1000); // H2 writes commits to the file within its write delay (500 ms)
        first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

        start(port, management);
        String after = await(port, "/api/status", body -> body.contains("\"openIncident\":" + id));
        assertTrue(after.contains("\"state\":\"down\""), after);
        targets.flag("site-down", false);
        String resolved = await(port, "/api/incidents?check=web", body -> !body.contains("\"endedAt\":null"));
        assertEquals(1, resolved.split("\"id\":").length - 1, "one incident, resolved: " + resolved);
        assertTrue(resolved.startsWith("[{\"id\":" + id + ","), resolved);
    }

    private Process start(int port, int management) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.http.port=" + port, "-Dquarkus.management.port=" + management,
                "-Dedgestack.monitor.data-dir=" + root.resolve("data"),
                "-Dedgestack.monitor.deploy.url=none",
                "-Dedgestack.monitor.checks.web.url=http://127.0.0.1:" + targets.httpPort() + "/health",
                "-Dedgestack.monitor.checks.web.interval=1s", "-Dedgestack.monitor.checks.web.failures-before-down=1",
                "-Dedgestack.monitor.checks.web.successes-before-up=1",
                "-jar", "target/quarkus-app/quarkus-run.jar"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("monitor.log").toFile())).start();
        processes.add(process);
        return process;
    }

    private String await(int port, String path, Predicate<String> condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                last = response.body();
                if (response.statusCode() == 200 && condition.test(last)) {
                    return last;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError(path + " never matched; last: " + last);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
