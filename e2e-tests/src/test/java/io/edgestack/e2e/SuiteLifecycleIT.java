package io.edgestack.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The whole suite as five real processes on the default loopback ports, started and stopped by bin/edgestack.
 */
class SuiteLifecycleIT {

    /** Process → management port, on the defaults of the README's port table. */
    private static final Map<String, Integer> MANAGEMENT = new LinkedHashMap<>();

    static {
        MANAGEMENT.put("edge", 9080);
        MANAGEMENT.put("proxy", 9081);
        MANAGEMENT.put("deploy", 9082);
        MANAGEMENT.put("monitor", 9083);
        MANAGEMENT.put("connector", 9084);
    }

    private static final List<Integer> PUBLIC = List.of(8080, 7844, 8081, 8082, 8083);

    @TempDir
    Path runDir;

    private Cli cli;

    @AfterEach
    void stopWhateverIsLeft() {
        if (cli != null) {
            cli.run("down");
        }
    }

    @Test
    void upStartsAllFiveProcessesOnTheDefaultPortsAndDownStopsThemAll() throws Exception {
        cli = new Cli(Cli.repositoryRoot(), runDir).env("EDGESTACK_LOG_JSON", "true");

        Cli.Result up = cli.run("up", "-d");
        assertEquals(0, up.exitCode(), up.output());
        for (String process : MANAGEMENT.keySet()) {
            assertTrue(up.output().contains("ready  " + process), "up reports " + process + " ready");
        }

        for (var entry : MANAGEMENT.entrySet()) {
            String base = "http://127.0.0.1:" + entry.getValue() + "/q/";
            HttpResponse<String> ready = Http.get(base + "health/ready");
            assertEquals(200, ready.statusCode(), entry.getKey() + " readiness: " + ready.body());
            HttpResponse<String> metrics = Http.get(base + "metrics", "text/plain");
            assertEquals(200, metrics.statusCode(), entry.getKey() + " metrics");
            assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                    entry.getKey() + " answers the Prometheus text format");
            assertTrue(metrics.body().contains("# TYPE jvm_threads_live_threads gauge"), entry.getKey() + " Prometheus text");
        }
        for (int port : PUBLIC) {
            assertTrue(Http.listening(port), "public port " + port + " is listening");
        }
        // Visitors reach proxy-service through the tunnel: its own security headers come back through the edge, and
        // the page is the example site that deploy-service deployed at its first start.
        HttpResponse<String> visitor = awaitPage("Welcome to the example site");
        assertEquals(200, visitor.statusCode());
        assertEquals("nosniff", visitor.headers().firstValue("X-Content-Type-Options").orElse(""),
                "the answer is proxy-service's, carried by edge and connector");
        assertTrue(visitor.headers().firstValue("X-Request-Id").isPresent());

        assertExampleSiteRepositoryCreated();

        // monitor-service watches the site through the tunnel, as a visitor does
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String monitorStatus = "";
        while (System.nanoTime() < deadline && !monitorStatus.contains("\"state\":\"up\"")) {
            monitorStatus = Http.get("http://127.0.0.1:8083/api/status").body();
            Thread.sleep(200);
        }
        assertTrue(monitorStatus.contains("\"name\":\"site\"") && monitorStatus.contains("\"state\":\"up\""), monitorStatus);

        // The seed's deploy flow: push a change, deploy it, see it through the tunnel, roll it back.
        Path site = runDir.resolve("site-repo");
        Files.writeString(site.resolve("index.html"), Files.readString(site.resolve("index.html"))
                .replace("Welcome to the example site", "Welcome to the redeployed site"));
        git(site, "-c", "user.name=e2e", "-c", "user.email=e2e@localhost", "-c", "commit.gpgsign=false", "commit", "-q", "-am",
                "New title");
        Cli.Result deploy = cli.run("deploy");
        assertEquals(0, deploy.exitCode(), deploy.output());
        assertTrue(deploy.output().contains("Pre-switch check passed") && deploy.output().contains("succeeded"), deploy.output());
        assertTrue(deploy.output().contains("Purge ok: purged 1 URL(s) [/]"), "purged through the real proxy: " + deploy.output());
        assertTrue(Http.get("http://127.0.0.1:8080/").body().contains("Welcome to the redeployed site"));
        Cli.Result rollback = cli.run("rollback");
        assertEquals(0, rollback.exitCode(), rollback.output());
        assertTrue(Http.get("http://127.0.0.1:8080/").body().contains("Welcome to the example site"));
        Cli.Result releases = cli.run("releases");
        assertEquals(0, releases.exitCode(), releases.output());
        assertEquals(2, releases.output().lines().filter(l -> l.contains("ready")).count(), releases.output());
        assertTrue(releases.output().lines().anyMatch(l -> l.startsWith("live") && l.contains("Example site")), releases.output());

        // Push to deploy, as `git push dokku main`: a push from a clone to the site repository's branch deploys it, the
        // deployment's log coming back to the pusher; a push to another branch is kept and not deployed.
        Path clone = Files.createTempDirectory("edgestack-clone");
        git(clone, "clone", "-q", site.toString(), ".");
        Files.writeString(clone.resolve("index.html"), Files.readString(clone.resolve("index.html"))
                .replace("Welcome to the redeployed site", "Welcome to the pushed site"));
        git(clone, "-c", "user.name=e2e", "-c", "user.email=e2e@localhost", "-c", "commit.gpgsign=false", "commit", "-q", "-am",
                "Pushed title");
        String pushed = git(clone, "push", "origin", "main");
        assertTrue(pushed.contains("remote: Deployment #") && pushed.contains("succeeded: live as"), pushed);
        assertTrue(Http.get("http://127.0.0.1:8080/").body().contains("Welcome to the pushed site"));
        String history = Http.send("GET", "http://127.0.0.1:8082/api/deployments?site=example", null, "Authorization",
                "Bearer " + Files.readString(runDir.resolve("secrets/deploy-api-token")).trim()).body();
        assertTrue(history.contains("(git push "), "the push named as the deployment's trigger: " + history);
        String other = git(clone, "push", "origin", "main:feature");
        assertTrue(other.contains("feature is not the deployed branch (main)") && !other.contains("Deployment #"), other);
        assertTrue(Http.get("http://127.0.0.1:8080/").body().contains("Welcome to the pushed site"));

        // Maintenance, as kamal app maintenance: every visitor gets 503 with the message, through the tunnel, until it is off.
        Cli.Result maintenance = cli.run("maintenance", "on", "Moving", "to", "a", "new", "disk.");
        assertEquals(0, maintenance.exitCode(), maintenance.output());
        assertTrue(maintenance.output().contains("example is in maintenance: its visitors get 503 with \"Moving to a new disk.\""),
                maintenance.output());
        awaitStatus("http://127.0.0.1:8080/", 503, Duration.ofSeconds(10));
        assertTrue(Http.get("http://127.0.0.1:8080/").body().contains("Moving to a new disk."));
        Cli.Result shown = cli.run("maintenance");
        assertTrue(shown.exitCode() == 0 && shown.output().contains("example is in maintenance since") && shown.output().contains(
                "(api (cli ") && shown.output().contains("Moving to a new disk."), shown.output());
        Cli.Result off = cli.run("maintenance", "off");
        assertTrue(off.exitCode() == 0 && off.output().contains("example is live again"), off.output());
        awaitStatus("http://127.0.0.1:8080/", 200, Duration.ofSeconds(10));
        assertEquals(2, cli.run("maintenance", "sideways").exitCode());

        // The edge cache emptied by hand, as Cloudflare's "Purge Cache" button: a path under every public host, everything
        Cli.Result purge = cli.run("purge", "/", "/blog/");
        assertEquals(0, purge.exitCode(), purge.output());
        assertTrue(purge.output().contains("cache entr") && purge.output().contains("urls http://localhost:8080/, "
                + "http://127.0.0.1:8080/, http://localhost:8080/blog/, http://127.0.0.1:8080/blog/"), purge.output());
        Cli.Result everything = cli.run("purge", "--everything");
        assertTrue(everything.exitCode() == 0 && everything.output().contains("(everything)"), everything.output());
        Cli.Result refused = cli.run("purge", "ftp://example.org/x");
        assertEquals(1, refused.exitCode(), refused.output());
        assertTrue(refused.output().contains("the purge was refused (400): 'ftp://example.org/x' in urls must be an http:// or "
                + "https:// URL with a host"), refused.output());
        assertEquals(2, cli.run("purge", "--tag", "a", "/").exitCode());

        Cli.Result status = cli.run("status");
        assertEquals(0, status.exitCode(), status.output());
        for (String process : MANAGEMENT.keySet()) {
            assertTrue(status.output().lines().anyMatch(l -> l.startsWith(process) && l.contains(" ready ")),
                    "status shows " + process + " ready");
        }
        assertTrue(status.output().lines().anyMatch(l -> l.startsWith("edge") && l.endsWith(" cluster UP, tunnel UP")),
                "each readiness check in a word: " + status.output());

        Cli.Result logs = cli.run("logs", "proxy");
        assertEquals(0, logs.exitCode());
        assertTrue(logs.output().contains("proxy-service"), "logs shows the proxy's log");

        // Clients that reset their connection half-way through a request head, or after bytes that are not HTTP at
        // all (scanners, TLS on a plain port), on every public port: each service closes such a connection quietly.
        for (int port : PUBLIC) {
            resetAfter(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            resetAfter(port, new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xff, 0x01, 0x00, 0x00, (byte) 0xfb, 0x03, 0x03});
            resetAfter(port, new byte[0]);
        }
        // A Host that is not a host name: 400 from each HTTP port (the edge with its own page), not an error logged.
        for (int port : List.of(8080, 8081, 8082, 8083)) {
            String answer = rawExchange(port, "GET / HTTP/1.1\r\nHost: not a host!\r\nConnection: close\r\n\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 400 "), port + " answered " + answer);
        }
        assertTrue(rawExchange(8080, "GET / HTTP/1.1\r\nHost: not a host!\r\n\r\n").contains("not a valid host name"),
                "the edge's own page");
        // A version that is not HTTP/1.x: never served as if it were (deploy and monitor answered 200 and 404 with
        // "HTTP/9.9" in the status line, the edge Vert.x's "HTTP/9.9 501"): 505 in HTTP/1.1 from every port, and the
        // connection closed (readAllBytes returns).
        for (int port : List.of(8080, 8081, 8082, 8083)) {
            for (String version : List.of("HTTP/9.9", "HTTP/2.0", "FOO/1.1")) {
                String answer = rawExchange(port, "GET / " + version + "\r\nHost: 127.0.0.1\r\n\r\n");
                assertTrue(answer.startsWith("HTTP/1.1 505 "), port + " answered " + version + " with " + answer);
            }
        }
        Thread.sleep(500);
        assertLogsAreJsonAndQuiet();

        Map<String, Long> pids = pids();
        assertEquals(MANAGEMENT.keySet(), pids.keySet());

        Cli.Result down = cli.run("down");
        assertEquals(0, down.exitCode(), down.output());
        for (var pid : pids.entrySet()) {
            assertFalse(ProcessHandle.of(pid.getValue()).map(ProcessHandle::isAlive).orElse(false),
                    pid.getKey() + " (pid " + pid.getValue() + ") is gone");
        }
        for (int port : Stream.concat(PUBLIC.stream(), MANAGEMENT.values().stream()).toList()) {
            assertFalse(Http.listening(port), "port " + port + " is free again");
        }
        for (String process : MANAGEMENT.keySet()) {
            assertTrue(Files.readString(runDir.resolve("logs/" + process + ".log")).contains("stopped in"),
                    process + " shut down gracefully");
        }
        // ... and quietly: no incident for a deliberate stop (the monitor stops first), no member taken for dead
        assertLogsAreJsonAndQuiet();

        Cli.Result after = cli.run("status");
        assertEquals(1, after.exitCode(), "status fails once the suite is down");
        cli = null;
    }

    private static HttpResponse<String> awaitPage(String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            last = Http.get("http://127.0.0.1:8080/");
            if (last.statusCode() == 200 && last.body().contains(text)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the site never showed '" + text + "'; last answer " + (last == null ? "none"
                : last.statusCode() + ": " + last.body()));
    }

    private static String git(Path dir, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("git"));
        command.addAll(List.of(args));
        Process git = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(git.getInputStream().readAllBytes());
        assertEquals(0, git.waitFor(), "git " + String.join(" ", args) + ": " + output);
        return output;
    }

    @Test
    void upInTheForegroundStopsEveryProcessWhenInterrupted() throws Exception {
        Cli foreground = new Cli(Cli.repositoryRoot(), runDir).freePorts();
        Path output = runDir.resolve("up.out");
        Process up = foreground.start(output, "up");
        try {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!Files.exists(output) || !Files.readString(output).contains("Stop: Ctrl-C")) {
                assertTrue(up.isAlive(), "up exited early:\n" + (Files.exists(output) ? Files.readString(output) : ""));
                assertTrue(System.nanoTime() < deadline, "suite not ready in time");
                Thread.sleep(200);
            }
            Map<String, Long> pids = pids();
            assertEquals(5, pids.size());

            // Ctrl-C and SIGTERM share one handler. A test cannot rely on SIGINT: a shell started from a
            // non-interactive parent inherits SIGINT as ignored and may not trap it, so SIGTERM is sent here.
            up.destroy();

            assertTrue(up.waitFor(90, TimeUnit.SECONDS), "up returns after Ctrl-C");
            String text = Files.readString(output);
            assertEquals(0, up.exitValue(), text);
            assertTrue(text.contains("Stopping..."), text);
            for (var pid : pids.entrySet()) {
                assertFalse(ProcessHandle.of(pid.getValue()).map(ProcessHandle::isAlive).orElse(false),
                        pid.getKey() + " stopped with up");
            }
            assertTrue(text.contains("stopped connector") && text.contains("stopped proxy"), text);
        } finally {
            up.destroyForcibly();
            foreground.run("down");
        }
    }

    private void assertExampleSiteRepositoryCreated() throws Exception {
        Path repo = runDir.resolve("site-repo");
        assertTrue(Files.isRegularFile(repo.resolve("index.html")));
        assertTrue(Files.isRegularFile(repo.resolve("blog/hello-edgestack/index.html")));
        Process log = new ProcessBuilder("git", "-C", repo.toString(), "log", "--oneline", "main").start();
        String commits = new String(log.getInputStream().readAllBytes());
        assertEquals(0, log.waitFor());
        assertEquals(1, commits.lines().count(), "one commit on main: " + commits);
    }

    /**
     * Every line of every log is a JSON record, and none of a start, a deploy and a rollback that all went well is a
     * warning or an error: a user reads those as something to fix (the libraries' start-up notices are dealt with
     * where they come from, see HazelcastSetup and the services' configuration).
     */
    private void assertLogsAreJsonAndQuiet() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> loud = new java.util.ArrayList<>();
        for (String process : MANAGEMENT.keySet()) {
            List<String> lines = Files.readAllLines(runDir.resolve("logs/" + process + ".log"));
            assertFalse(lines.isEmpty(), process + " logged something");
            for (String line : lines) {
                JsonNode record = json.readTree(line);
                assertTrue(record.hasNonNull("message") && record.hasNonNull("level"), process + ": " + line);
                if (List.of("WARN", "WARNING", "ERROR", "SEVERE", "FATAL").contains(record.get("level").asText())) {
                    loud.add(process + ": " + record.get("level").asText() + " " + record.get("loggerName") + " "
                            + record.get("message").asText());
                }
            }
        }
        assertTrue(loud.isEmpty(), "warnings and errors in a run that went well:\n" + String.join("\n", loud));
    }

    /** Sends {@code request} as it is and reads the answer until the server closes the connection (at most 5 s). */
    private static String rawExchange(int port, String request) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** Sends {@code bytes}, waits a moment, and closes with a reset (SO_LINGER 0) instead of a FIN. */
    private static void resetAfter(int port, byte[] bytes) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoLinger(true, 0);
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            Thread.sleep(150);
        }
    }

    private Map<String, Long> pids() throws IOException {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (String process : MANAGEMENT.keySet()) {
            pids.put(process, Long.parseLong(Files.readString(runDir.resolve("pids/" + process + ".pid")).trim()));
        }
        return pids;
    }

    private static void awaitStatus(String url, int status, Duration within) throws InterruptedException {
        int last = -1;
        for (long until = System.nanoTime() + within.toNanos(); System.nanoTime() < until; Thread.sleep(200)) {
            last = Http.get(url).statusCode();
            if (last == status) {
                return;
            }
        }
        assertEquals(status, last, url);
    }
}
