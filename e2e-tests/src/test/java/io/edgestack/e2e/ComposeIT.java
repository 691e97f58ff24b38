package io.edgestack.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The repository's compose.yaml on a real Docker engine: images built here (a base image made from this machine's JDK
 * by bin/make-base-image, Prometheus and Alertmanager from Debian's packages; nothing is pulled), the stack brought up
 * with {@code docker-compose up}, a visitor's request through the tunnel edge to the example site, every edgestack
 * target up in Prometheus with all five services in one event-bus cluster, and {@code docker-compose down -v} leaving
 * nothing behind. Grafana has no image or package here, so it is the one service of the file not started.
 */
class ComposeIT {

    private static final List<String> SERVICES = List.of("edge", "connector", "proxy", "deploy", "monitor", "prometheus",
            "alertmanager");
    private static final Set<String> JOBS = Set.of("edgestack-edge", "edgestack-connector", "edgestack-proxy",
            "edgestack-deploy", "edgestack-monitor");
    private static final String SECRETS = "EDGESTACK_TUNNEL_TOKEN_SECRET EDGESTACK_EDGE_ADMIN_TOKEN EDGESTACK_PROXY_ADMIN_TOKEN "
            + "EDGESTACK_DEPLOY_API_TOKEN EDGESTACK_MONITOR_API_TOKEN EDGESTACK_WEBHOOK_SECRET GRAFANA_ADMIN_PASSWORD";

    private final Path root = Cli.repositoryRoot();
    private final String project = "edgestack-it-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final ObjectMapper json = new ObjectMapper();
    private Path envFile;
    private boolean up;

    @TempDir
    Path dir;

    record Run(int exit, String output) {
    }

    @AfterEach
    void down() throws Exception {
        if (up) {
            Run logs = compose(List.of("logs", "--no-color", "--tail", "60"));
            Files.writeString(dir.resolve("compose.log"), logs.output());
            // kept where CI leaves its reports: a warning's stack trace (a blocked event loop at start) is in the whole log
            Path kept = Files.createDirectories(Path.of("target", "compose-logs"));
            Files.writeString(kept.resolve("compose.log"), compose(List.of("logs", "--no-color")).output());
            compose(List.of("down", "-v", "--remove-orphans"));
        }
    }

    @Test
    void composeUpServesTheSiteThroughTheTunnelWithEveryTargetUpAndDownLeavesNothing() throws Exception {
        boolean required = System.getenv("EDGESTACK_COMPOSE_TEST") != null;
        Run info = run(root, Map.of(), Duration.ofSeconds(30), "docker", "info", "--format", "{{.ServerVersion}}");
        if (!required) {
            Assumptions.assumeTrue(info.exit() == 0, "no Docker engine here (.ci/run starts one): " + info.output());
        }
        assertEquals(0, info.exit(), "a Docker engine answers: " + info.output());

        // A required secret left out: compose refuses, naming it and where to set it.
        Map<String, String> settings = settings();
        Map<String, String> missing = new LinkedHashMap<>(settings);
        missing.remove("EDGESTACK_WEBHOOK_SECRET");
        envFile = write("missing.env", missing);
        Run refused = compose(List.of("config", "-q"));
        assertNotEquals(0, refused.exit(), refused.output());
        assertTrue(refused.output().contains("set EDGESTACK_WEBHOOK_SECRET in .env"), refused.output());

        // Images built here, from nothing but this machine.
        envFile = write("test.env", settings);
        long started = System.nanoTime();
        check(run(root, Map.of(), Duration.ofMinutes(5), "bin/make-base-image", settings.get("EDGESTACK_BASE_IMAGE")));
        Path script = root.resolve("e2e-tests/src/test/sh/binary-image.sh");
        check(run(root, Map.of(), Duration.ofMinutes(2), script.toString(), settings.get("EDGESTACK_PROMETHEUS_IMAGE"),
                "/bin/prometheus", "/usr/bin/prometheus:/bin/prometheus", "/usr/bin/promtool:/bin/promtool", "/prometheus/"));
        check(run(root, Map.of(), Duration.ofMinutes(2), script.toString(), settings.get("EDGESTACK_ALERTMANAGER_IMAGE"),
                "/bin/alertmanager", "/usr/bin/prometheus-alertmanager:/bin/alertmanager", "/usr/bin/amtool:/bin/amtool",
                "/usr/share/prometheus/alertmanager/default.tmpl:/usr/share/prometheus/alertmanager/default.tmpl",
                "/usr/share/prometheus/alertmanager/email.tmpl:/usr/share/prometheus/alertmanager/email.tmpl",
                "/alertmanager/"));
        check(compose(List.of("build", "-q")));
        long built = System.nanoTime();

        up = true;
        List<String> upCommand = new ArrayList<>(List.of("up", "-d"));
        upCommand.addAll(SERVICES);
        check(compose(upCommand));
        awaitHealthy(Duration.ofMinutes(5));
        long healthy = System.nanoTime();
        System.out.printf("compose: images built in %d s, all %d services healthy %d s after up%n",
                TimeUnit.NANOSECONDS.toSeconds(built - started), SERVICES.size(), TimeUnit.NANOSECONDS.toSeconds(healthy - built));

        // A visitor: edge → tunnel → connector → proxy → the release deploy-service made from this checkout.
        String site = "http://127.0.0.1:" + settings.get("EDGESTACK_PUBLIC_PORT");
        HttpResponse<String> page = awaitStatus(site + "/", 200, Duration.ofMinutes(2));
        String index = Files.readString(root.resolve("examples/site/index.html"));
        assertEquals(index, page.body(), "the example site's index, as deployed");
        String requestId = page.headers().firstValue("X-Request-Id").orElseThrow();
        // The connector is one of proxy-service's trusted proxies: its access log has the visitor's request id, and the
        // visitor's address as the client, the connector's as the peer.
        String net = settings.get("EDGESTACK_NET");
        String access = "";
        for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15); access.isEmpty() && System.nanoTime() < until; ) {
            access = compose(List.of("logs", "--no-color", "proxy")).output().lines()
                    .filter(line -> line.contains("\"id\":\"" + requestId + "\"")).findFirst().orElse("");
            if (access.isEmpty()) {
                Thread.sleep(500);
            }
        }
        assertTrue(access.contains("\"remote\":\"" + net + ".202\"") && access.contains("\"client\":\"")
                && !access.contains("\"client\":\"" + net + ".202\""), "proxy access log line for " + requestId + ": " + access);
        assertEquals(404, get(site + "/no-such-page").statusCode());
        assertEquals(200, get("http://127.0.0.1:" + settings.get("EDGESTACK_MONITOR_PORT") + "/").statusCode(),
                "the status page");
        // A ping check from inside the monitor's container (the image carries ping; no capability is needed)
        String monitor = "http://127.0.0.1:" + settings.get("EDGESTACK_MONITOR_PORT");
        HttpResponse<String> added = Http.send("POST", monitor + "/api/checks",
                "{\"name\": \"edge-ping\", \"type\": \"ping\", \"host\": \"edge\", \"interval\": \"2s\"}",
                "Authorization", "Bearer " + settings.get("EDGESTACK_MONITOR_API_TOKEN"), "Content-Type", "application/json");
        assertEquals(201, added.statusCode(), added.body());
        JsonNode ping = null;
        for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); System.nanoTime() < until; Thread.sleep(500)) {
            for (JsonNode check : json.readTree(get(monitor + "/api/status").body()).path("checks")) {
                if (check.path("name").asText().equals("edge-ping") && check.path("last").has("cause")) {
                    ping = check.path("last");
                }
            }
            if (ping != null) {
                break;
            }
        }
        assertTrue(ping != null && ping.path("cause").asText().equals("ok")
                && ping.path("summary").asText().startsWith("reply from edge in "), "the ping check: " + ping);

        // The connector link is TLS, pinned to the edge's own CA through the token the edge left in the shared volume.
        String edgeLog = compose(List.of("logs", "--no-color", "edge")).output();
        assertTrue(edgeLog.contains("Connector listener TLS from the tunnel CA"), edgeLog);
        assertTrue(edgeLog.contains("Wrote a new connector token of tunnel local"), edgeLog);
        // A start that went well logs no warning or error in any of the five (the images carry the JVM flags
        // Hazelcast asks for, as bin/edgestack does).
        for (String service : List.of("edge", "connector", "proxy", "deploy", "monitor")) {
            List<String> loud = compose(List.of("logs", "--no-color", service)).output().lines()
                    .filter(line -> line.matches(".* (WARN|WARNING|ERROR|SEVERE) .*")).toList();
            assertTrue(loud.isEmpty(), service + " logged at start:\n" + String.join("\n", loud));
        }

        // Prometheus scrapes every edgestack service, and each sees all five on the event bus.
        String prometheus = "http://127.0.0.1:" + settings.get("EDGESTACK_PROMETHEUS_PORT");
        Map<String, String> targets = awaitTargetsUp(prometheus, Duration.ofMinutes(2));
        assertEquals(JOBS, targets.keySet(), "targets " + targets);
        Map<String, String> members = awaitMembers(prometheus, Duration.ofMinutes(2));
        assertEquals(JOBS, members.keySet());
        members.forEach((job, count) -> assertEquals("5", count, job + " sees " + count + " event-bus members"));
        JsonNode alertmanagers = json.readTree(get(prometheus + "/api/v1/alertmanagers").body());
        assertEquals(1, alertmanagers.path("data").path("activeAlertmanagers").size(), "Prometheus found Alertmanager");

        // Down with its volumes: no container, network or volume of the project is left.
        check(compose(List.of("down", "-v", "--remove-orphans")));
        up = false;
        String label = "label=com.docker.compose.project=" + project;
        assertEquals("", run(root, Map.of(), Duration.ofSeconds(30), "docker", "ps", "-aq", "--filter", label).output().trim());
        assertEquals("", run(root, Map.of(), Duration.ofSeconds(30), "docker", "volume", "ls", "-q", "--filter", label)
                .output().trim());
        assertEquals("", run(root, Map.of(), Duration.ofSeconds(30), "docker", "network", "ls", "-q", "--filter", label)
                .output().trim());
    }

    /** What a user puts in .env: a secret of its own for each, free ports on loopback, the locally built images. */
    private Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String name : SECRETS.split(" ")) {
            byte[] secret = new byte[32];
            ThreadLocalRandom.current().nextBytes(secret);
            settings.put(name, HexFormat.of().formatHex(secret));
        }
        settings.put("EDGESTACK_BIND", "127.0.0.1");
        for (String port : List.of("PUBLIC", "CONNECTOR", "DEPLOY", "MONITOR", "PROMETHEUS", "ALERTMANAGER", "GRAFANA")) {
            settings.put("EDGESTACK_" + port + "_PORT", String.valueOf(Cli.freePort()));
        }
        settings.put("EDGESTACK_NET", "172.30.231");
        settings.put("EDGESTACK_VERSION", "compose-it");
        settings.put("EDGESTACK_BASE_IMAGE", "edgestack-it/jre-base:17");
        settings.put("EDGESTACK_PROMETHEUS_IMAGE", "edgestack-it/prometheus:debian");
        settings.put("EDGESTACK_ALERTMANAGER_IMAGE", "edgestack-it/alertmanager:debian");
        return settings;
    }

    private Path write(String name, Map<String, String> values) throws IOException {
        StringBuilder text = new StringBuilder();
        values.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        return Files.writeString(dir.resolve(name), text);
    }

    private Run compose(List<String> args) {
        List<String> command = new ArrayList<>(List.of("docker-compose", "--env-file", envFile.toString(), "-p", project,
                "-f", root.resolve("compose.yaml").toString(), "--project-directory", root.toString()));
        command.addAll(args);
        // Compose reads EDGESTACK_BASE_IMAGE for the build arguments from the env file; the legacy builder is the
        // one Debian's docker.io has (no buildx).
        return run(root, Map.of("DOCKER_BUILDKIT", "0", "COMPOSE_DOCKER_CLI_BUILD", "0"), Duration.ofMinutes(10),
                command.toArray(String[]::new));
    }

    private void awaitHealthy(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> states = Map.of();
        while (System.nanoTime() < deadline) {
            states = new TreeMap<>();
            for (String service : SERVICES) {
                String id = compose(List.of("ps", "-q", service)).output().trim();
                String state = id.isEmpty() ? "missing" : run(root, Map.of(), Duration.ofSeconds(30), "docker", "inspect",
                        "-f", "{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}", id).output().trim();
                states.put(service, state);
            }
            if (states.values().stream().allMatch("running/healthy"::equals)) {
                return;
            }
            Thread.sleep(2000);
        }
        throw new AssertionError("not every service became healthy: " + states + "\n"
                + compose(List.of("logs", "--no-color", "--tail", "40")).output());
    }

    private Map<String, String> awaitTargetsUp(String prometheus, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> health = new TreeMap<>();
        while (System.nanoTime() < deadline) {
            health.clear();
            for (JsonNode target : json.readTree(get(prometheus + "/api/v1/targets").body()).path("data").path("activeTargets")) {
                health.put(target.path("labels").path("job").asText(), target.path("health").asText());
            }
            if (health.keySet().equals(JOBS) && health.values().stream().allMatch("up"::equals)) {
                return health;
            }
            Thread.sleep(2000);
        }
        throw new AssertionError("Prometheus targets not all up: " + health);
    }

    private Map<String, String> awaitMembers(String prometheus, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> members = new TreeMap<>();
        while (System.nanoTime() < deadline) {
            members.clear();
            String url = prometheus + "/api/v1/query?query=edgestack_cluster_members";
            for (JsonNode sample : json.readTree(get(url).body()).path("data").path("result")) {
                members.put(sample.path("metric").path("job").asText(), sample.path("value").path(1).asText());
            }
            if (members.keySet().equals(JOBS) && new TreeSet<>(members.values()).equals(Set.of("5"))) {
                return members;
            }
            Thread.sleep(3000);
        }
        return members;
    }

    private HttpResponse<String> awaitStatus(String url, int status, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = get(url);
                if (last.statusCode() == status) {
                    return last;
                }
            } catch (IOException e) {
                // not answering yet
            }
            Thread.sleep(1000);
        }
        throw new AssertionError(url + " never answered " + status + (last == null ? "" : ": " + last.statusCode()));
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void check(Run run) {
        assertEquals(0, run.exit(), run.output());
    }

    private static Run run(Path directory, Map<String, String> env, Duration timeout, String... command) {
        try {
            Path output = Files.createTempFile("edgestack-compose", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
            }
            String text = Files.readString(output, StandardCharsets.UTF_8);
            Files.delete(output);
            return new Run(process.exitValue(), text);
        } catch (IOException e) {
            return new Run(127, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
