package io.edgestack.deploy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgestack.deploy.webhook.Signatures;

/**
 * deploy-service as a real process, killed with SIGKILL in the middle of a build: the live release keeps serving, the
 * build it left behind is stopped at the next start, the interrupted deployment is marked failed with the reason, and
 * the push that was waiting is deployed.
 */
class DeployRestartIT {

    private static final String TOKEN = "it-api-token";
    private static final String SECRET = "it-webhook-secret";

    @TempDir
    Path root;

    private final HttpClient client = HttpClient.newHttpClient();
    private final List<Process> processes = new ArrayList<>();
    private SiteFixture fixture;

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
        if (fixture != null) {
            fixture.stopProxy();
        }
    }

    @Test
    void killedMidBuildThenRestartedKeepsTheLiveReleaseAndResumesTheQueue() throws Exception {
        fixture = new SiteFixture(root).init();
        int proxy = fixture.startProxy();
        int port = freePort();
        int management = freePort();
        Path log = root.resolve("deploy.log");
        Process first = start(port, management, proxy, log);
        awaitReady(management);
        Map<String, String> initial = awaitFinished(port, 1);
        assertEquals("succeeded", initial.get("status"), initial.toString());
        Path current = root.resolve("releases/example/current");
        String live = Files.readSymbolicLink(current).toString();

        String slow = fixture.commit(Map.of("delay", "60", "site/slow.html", "slow"), Set.of(), "Slow build");
        long interrupted = push(port, slow);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!"build".equals(deployment(port, interrupted).get("stage")) || !Files.exists(root.resolve("workspace/example/build.pid"))) {
            assertTrue(System.nanoTime() < deadline, "the slow build never started");
            Thread.sleep(50);
        }
        long buildPid = Long.parseLong(Files.readString(root.resolve("workspace/example/build.pid")).split(" ")[0]);
        String next = fixture.commit(Map.of("site/next.html", "next"), Set.of("delay"), "Next");
        long waiting = push(port, next);
        assertEquals("queued", deployment(port, waiting).get("status"));

        // a freeze taken while the deployment waits: it goes on (it was queued before), and the lock outlives the kill
        assertEquals(200, api(port, "POST", "/api/lock", "{\"reason\":\"freeze before the kill\"}").statusCode());

        first.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertEquals(live, Files.readSymbolicLink(current).toString(), "the live release is untouched by the kill");
        assertTrue(ProcessHandle.of(buildPid).map(ProcessHandle::isAlive).orElse(false), "the orphaned build still runs");

        start(port, management, proxy, log);
        awaitReady(management);
        Map<String, String> failed = deployment(port, interrupted);
        assertEquals("failed", failed.get("status"));
        assertTrue(failed.get("reason").contains("interrupted: deploy-service stopped during the build stage"), failed.toString());
        Map<String, String> resumed = awaitFinished(port, waiting);
        assertEquals("succeeded", resumed.get("status"), resumed.toString());
        assertEquals(next, resumed.get("commit"));
        assertTrue(Files.readSymbolicLink(current).toString().endsWith(next.substring(0, 7)));
        assertTrue(Files.exists(current.resolve("next.html")));
        assertTrue(Files.exists(current.resolve("slow.html")), "the newest commit carries the interrupted one's change");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ProcessHandle.of(buildPid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertFalse(ProcessHandle.of(buildPid).map(ProcessHandle::isAlive).orElse(false), "the orphaned build was stopped");
        assertTrue(Files.readString(log).contains("left running when deploy-service stopped"));
        HttpResponse<String> lock = api(port, "GET", "/api/lock", null);
        assertTrue(lock.body().contains("\"locked\":true") && lock.body().contains("freeze before the kill"), lock.body());
        String frozen = fixture.commit(Map.of("site/frozen.html", "frozen"), Set.of(), "During the freeze");
        String body = "{\"ref\":\"refs/heads/main\",\"after\":\"" + frozen + "\"}";
        HttpResponse<String> refused = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hooks/github"))
                .header("X-GitHub-Event", "push").header("Content-Type", "application/json")
                .header("X-Hub-Signature-256", "sha256=" + Signatures.hmacHex(SECRET, body.getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(423, refused.statusCode(), refused.body());
    }

    private HttpResponse<String> api(int port, String method, String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private Process start(int port, int management, int proxy, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.management.host=127.0.0.1",
                "-Dquarkus.http.port=" + port, "-Dquarkus.management.port=" + management,
                "-Dedgestack.deploy.releases-root=" + root.resolve("releases"),
                "-Dedgestack.deploy.workspace=" + root.resolve("workspace"),
                "-Dedgestack.deploy.proxy.admin-url=http://127.0.0.1:" + proxy,
                "-Dedgestack.deploy.proxy.public-url=http://127.0.0.1:" + proxy,
                "-Dedgestack.deploy.sites.example.repository=" + fixture.repository,
                "-Dedgestack.deploy.sites.example.build-command=sh build.sh",
                "-Dedgestack.deploy.sites.example.output-directory=dist",
                "-jar", "target/quarkus-app/quarkus-run.jar"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("EDGESTACK_DEPLOY_API_TOKEN", TOKEN);
        builder.environment().put("EDGESTACK_DEPLOY_WEBHOOK_SECRET", SECRET);
        builder.environment().put("EDGESTACK_DEPLOY_PROXY_ADMIN_TOKEN", "it-proxy-token");
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private long push(int port, String commit) throws Exception {
        String body = "{\"ref\":\"refs/heads/main\",\"after\":\"" + commit + "\",\"pusher\":{\"name\":\"ada\"}}";
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hooks/github"))
                .header("X-GitHub-Event", "push").header("Content-Type", "application/json")
                .header("X-Hub-Signature-256", "sha256=" + Signatures.hmacHex(SECRET, body.getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, response.statusCode(), response.body());
        return Long.parseLong(field(response.body(), "deployment"));
    }

    private Map<String, String> deployment(int port, long id) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/api/deployments/" + id)).header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        Map<String, String> fields = new java.util.HashMap<>();
        for (String name : List.of("status", "stage", "reason", "commit", "release")) {
            fields.put(name, field(response.body(), name));
        }
        return fields;
    }

    private Map<String, String> awaitFinished(int port, long id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            Map<String, String> deployment = deployment(port, id);
            if (!"queued".equals(deployment.get("status")) && !"running".equals(deployment.get("status"))) {
                return deployment;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("deployment #" + id + " did not finish");
    }

    private void awaitReady(int management) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try {
                if (client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("deploy-service never became ready");
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|[0-9]+|null)").matcher(json);
        if (!m.find()) {
            return null;
        }
        return m.group(2) != null ? m.group(2) : "null".equals(m.group(1)) ? null : m.group(1);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
