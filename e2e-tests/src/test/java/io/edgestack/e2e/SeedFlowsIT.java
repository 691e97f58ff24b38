package io.edgestack.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

/**
 * The seed's sequence diagrams against real processes on loopback: the suite started by {@code bin/edgestack up -d}
 * with its clustered event bus, an application behind proxy-service, and two more proxy-service processes in the CDN
 * role in front of the tunnel edge (replicas of one CDN, members of the same cluster).
 *
 * <pre>
 * visitor ─▶ CDN replica A or B (proxy-service, edge cache) ─▶ tunnel edge ─▶ connector ─▶ proxy-service ─▶ release
 *                                                                                                     └─▶ /api/ app
 * </pre>
 *
 * One suite serves every flow, in the order (e), (f), (a), (b), (c), (d), to keep the run short; after (f), a gRPC call
 * goes through the tunnel to a server that speaks HTTP/2 in clear text only ({@code h2c://}), its status in trailers.
 */
class SeedFlowsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HOST = "www.example.test";

    @TempDir
    Path runDir;

    private Cli cli;
    private final List<Process> cdn = new ArrayList<>();
    private HttpServer app;
    private HttpServer alerts;
    private final List<JsonNode> alertsReceived = new CopyOnWriteArrayList<>();
    private final AtomicInteger appHits = new AtomicInteger();

    private int edge;
    private int deploy;
    private int monitor;
    private final int appPort = Cli.freePort();
    /** A gRPC-style server (HTTP/2 in clear text only, its status in trailers) and the client that calls it. */
    private io.vertx.core.Vertx vertx;
    private int grpcPort;
    private final int[] cdnPort = new int[2];
    private final int[] cdnMgmt = new int[2];

    @AfterEach
    void stopEverything() throws Exception {
        for (Process process : cdn) {
            process.destroy();
        }
        for (Process process : cdn) {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        if (cli != null) {
            cli.run("down");
        }
        Path appPid = runDir.resolve("app-state/pid");
        if (Files.exists(appPid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(appPid).strip())).ifPresent(ProcessHandle::destroy);
        }
        if (app != null) {
            app.stop(0);
        }
        if (alerts != null) {
            alerts.stop(0);
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theSeedsFlowsEndToEnd() throws Exception {
        startApplicationAndAlertReceiver();
        startGrpcServer();
        cli = new Cli(Cli.repositoryRoot(), runDir).freePorts();
        edge = Integer.parseInt(cli.env("EDGESTACK_EDGE_PORT"));
        deploy = Integer.parseInt(cli.env("EDGESTACK_DEPLOY_PORT"));
        monitor = Integer.parseInt(cli.env("EDGESTACK_MONITOR_PORT"));
        for (int i = 0; i < 2; i++) {
            cdnPort[i] = Cli.freePort();
            cdnMgmt[i] = Cli.freePort();
        }
        writeSitesFiles();
        writePostSwitchHook();
        configureSuite();

        // (e) boot: every process in dependency order, and the first request through the edge succeeds.
        long started = System.nanoTime();
        Cli.Result up = cli.run("up", "-d");
        long upMillis = (System.nanoTime() - started) / 1_000_000;
        assertEquals(0, up.exitCode(), up.output());
        List<String> order = up.output().lines().filter(l -> l.startsWith("ready  ")).map(l -> l.substring(7).trim()).toList();
        assertTrue(order.indexOf("connector") > order.indexOf("edge"), "the connector starts after the edge it dials: " + order);
        assertEquals("monitor", order.get(order.size() - 1), "the monitor starts last, once the tunnel carries its checks: "
                + order);
        HttpResponse<String> first = Http.send("GET", "http://127.0.0.1:" + edge + "/", null);
        assertNotNull(first, "the edge answers as soon as up returns");
        assertEquals(200, first.statusCode(), first.body());
        assertTrue(first.body().contains("Welcome to the example site"));
        System.out.printf("suite up in %d ms (clustered)%n", upMillis);
        for (String process : List.of("edge", "proxy", "deploy", "monitor", "connector")) {
            JsonNode cluster = readinessCheck(managementPort(process), "cluster");
            assertEquals("joined", cluster.path("data").path("state").asText(), process + ": " + cluster);
        }

        startCdnReplicas();
        awaitCondition("all seven processes in one cluster", Duration.ofSeconds(60),
                () -> readinessCheck(cdnMgmt[1], "cluster").path("data").path("members").asInt() == 7);

        flowF_aPurgeOnOneReplicaEmptiesBoth();
        flowG_grpcThroughTheTunnel();
        flowA_pushWebhookBuildPurgeServe();
        flowB_originStoppedServesStaleAndMonitorSaysSo();
        flowC_edgeRestartedConnectorBackIncidentNamesTheTunnel();
        flowD_badDeployIsRolledBackAndTheAlertsSaySo();
        printRss();
        dashboardsAndRulesAgainstARealPrometheus();
    }

    // ------------------------------------------------------------------ (f)

    private void flowF_aPurgeOnOneReplicaEmptiesBoth() throws Exception {
        for (int i = 0; i < 2; i++) {
            awaitXCache(i, "/", "MISS", "HIT");
        }
        HttpResponse<String> purge = Http.send("POST", "http://127.0.0.1:" + cdnMgmt[0] + "/admin/purge",
                "{\"urls\": [\"http://" + HOST + "/\"]}", "Authorization", "Bearer " + secret("proxy-admin-token"),
                "Content-Type", "application/json");
        assertEquals(200, purge.statusCode(), purge.body());
        // Replica B never received the purge request: the event bus carried it.
        awaitCondition("replica B purged by replica A's event", Duration.ofSeconds(10),
                () -> "MISS".equals(cdnGet(1, "/").headers().firstValue("X-Cache").orElse("")));
        assertEquals("MISS", cdnGet(0, "/").headers().firstValue("X-Cache").orElse(""));
        assertEquals("HIT", cdnGet(1, "/").headers().firstValue("X-Cache").orElse(""));
    }

    // ------------------------------------------------------------------ gRPC

    /**
     * A gRPC call from an HTTP/2 client at the public edge, through the tunnel (edge, connector) and proxy-service, to a
     * server that speaks HTTP/2 in clear text only: the answer's status comes back in its trailers, and the server was
     * asked with {@code TE: trailers}, as gRPC servers want.
     */
    private void flowG_grpcThroughTheTunnel() throws Exception {
        io.vertx.core.http.HttpClient client = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        byte[] message = {0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'}; // one gRPC message: not compressed, 5 bytes
        var call = client.request(new io.vertx.core.http.RequestOptions().setMethod(io.vertx.core.http.HttpMethod.POST)
                        .setHost("127.0.0.1").setPort(edge).setURI("/grpc/pkg.Echo/Say"))
                .compose(request -> request.authority(io.vertx.core.net.HostAndPort.create(HOST, edge))
                        .putHeader("content-type", "application/grpc").putHeader("te", "trailers")
                        .send(io.vertx.core.buffer.Buffer.buffer(message))
                        .compose(response -> response.body().map(body -> java.util.Map.entry(response, body))))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        var response = call.getKey();
        assertEquals(200, response.statusCode());
        assertEquals("application/grpc", response.getHeader("content-type"));
        assertEquals("trailers", response.getHeader("x-seen-te"), "the server was asked with TE: trailers");
        assertArrayEquals(message, call.getValue().getBytes(), "the message echoed");
        assertEquals("0", response.trailers().get("grpc-status"), "trailers: " + response.trailers());
        assertEquals("echoed 10 bytes", response.trailers().get("grpc-message"));
        client.close();
    }

    private void startGrpcServer() throws Exception {
        vertx = io.vertx.core.Vertx.vertx();
        grpcPort = vertx.createHttpServer(new io.vertx.core.http.HttpServerOptions().setHttp2ClearTextEnabled(true))
                .requestHandler(request -> {
                    if (request.version() != io.vertx.core.http.HttpVersion.HTTP_2) {
                        request.response().setStatusCode(505).end(); // HTTP/2 or nothing, as gRPC servers
                        return;
                    }
                    request.body().onSuccess(body -> {
                        request.response().putHeader("content-type", "application/grpc")
                                .putHeader("x-seen-te", String.valueOf(request.getHeader("te")));
                        request.response().trailers().add("grpc-status", "0")
                                .add("grpc-message", "echoed " + body.length() + " bytes");
                        request.response().end(body);
                    });
                })
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    // ------------------------------------------------------------------ (a)

    private void flowA_pushWebhookBuildPurgeServe() throws Exception {
        for (int i = 0; i < 2; i++) {
            cdnGet(i, "/");
            awaitXCache(i, "/blog/hello-edgestack/", "MISS", "HIT");
        }
        assertEquals("HIT", cdnGet(1, "/").headers().firstValue("X-Cache").orElse(""));

        Path site = runDir.resolve("site-repo");
        Path post = site.resolve("blog/hello-edgestack/index.html");
        Files.writeString(post, Files.readString(post).replace("</h1>", " (updated)</h1>"));
        JsonNode deployment = deployThroughWebhook(site, "Update the first post", "e2e-1");
        String purge = deployment.path("purge").asText();
        assertTrue(purge.contains("/blog/hello-edgestack/") && !purge.contains("[/,") && !purge.contains("[/]"),
                "only the changed page is purged: " + purge);

        // deploy-service's events crossed the cluster to monitor-service: the switch was a maintenance window, and the
        // site is watched at the faster interval since deploy.completed.
        String monitorLog = Files.readString(runDir.resolve("logs/monitor.log"));
        assertTrue(monitorLog.contains("Maintenance window deploy-example opened for example")
                && monitorLog.contains("Maintenance window deploy-example closed"), "maintenance.started/ended received");
        JsonNode watching = JSON.readTree(Http.get("http://127.0.0.1:" + monitor + "/api/status").body()).path("watching");
        assertTrue(watching.toString().contains("\"example\""), "deploy.completed received: " + watching);

        // Replica B was purged through the event bus: the new page is a MISS once, then a HIT; the home page was
        // not touched and is still a HIT.
        HttpResponse<String> fresh = cdnGet(1, "/blog/hello-edgestack/");
        assertEquals("MISS", fresh.headers().firstValue("X-Cache").orElse(""), fresh.headers().toString());
        assertTrue(fresh.body().contains("(updated)"), "the new content, through the tunnel: " + fresh.body());
        assertEquals("HIT", cdnGet(1, "/blog/hello-edgestack/").headers().firstValue("X-Cache").orElse(""));
        assertEquals("HIT", cdnGet(1, "/").headers().firstValue("X-Cache").orElse(""), "the unchanged page stays cached");
        assertTrue(cdnGet(0, "/blog/hello-edgestack/").body().contains("(updated)"), "replica A serves the new page too");
    }

    // ------------------------------------------------------------------ (b)

    private void flowB_originStoppedServesStaleAndMonitorSaysSo() throws Exception {
        awaitCondition("the api check is up", Duration.ofSeconds(30), () -> "up".equals(checkState("api")));
        app.stop(0);
        app = null;
        // The stored copy is fresh for one more second at most (max-age=1); after that it is served stale.
        HttpResponse<String>[] last = new HttpResponse[1];
        awaitCondition("the stored copy served stale", Duration.ofSeconds(10), () -> {
            last[0] = Http.send("GET", "http://127.0.0.1:" + edge + "/api/hello", null);
            return last[0] != null && last[0].headers().firstValue("Cache-Status").orElse("").contains("fwd=stale");
        });
        HttpResponse<String> stale = last[0];
        assertEquals(200, stale.statusCode(), "the proxy answers with its stored copy: " + stale.body());
        assertTrue(stale.body().contains("\"hello\""), stale.body());
        assertTrue(stale.headers().firstValue("Cache-Status").orElse("").contains("fwd=stale"),
                stale.headers().firstValue("Cache-Status").orElse("(none)"));
        JsonNode incident = awaitIncident("api", i -> "stale".equals(i.path("cause").asText()), Duration.ofSeconds(30));
        assertEquals("origin", incident.path("layer").asText(), incident.toString());
        awaitCondition("an alert says the site is served from the stale copy", Duration.ofSeconds(20),
                () -> alertsReceived.stream().anyMatch(a -> a.path("text").asText().contains("stale copy")));
    }

    // ------------------------------------------------------------------ (c)

    private void flowC_edgeRestartedConnectorBackIncidentNamesTheTunnel() throws Exception {
        awaitCondition("the site check is up", Duration.ofSeconds(30), () -> "up".equals(checkState("site")));
        Path output = Files.createTempFile(runDir, "restart", ".out");
        Process restart = cli.start(output, "restart", "edge");
        // What a visitor sees from the moment the edge is gone: refused, then 521 until the connector is back, then 200.
        Set<Integer> seen = new LinkedHashSet<>();
        long readyAt = 0;
        long backAt = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && backAt == 0) {
            HttpResponse<String> answer = Http.probe("http://127.0.0.1:" + edge + "/");
            int status = answer == null ? 0 : answer.statusCode();
            if (status == 0 || seen.contains(0)) {
                seen.add(status);
            }
            if (status != 0 && seen.contains(0) && readyAt == 0) {
                readyAt = System.nanoTime();
            }
            if (status == 521) {
                assertTrue(answer.headers().firstValue("Proxy-Status").orElse("").contains("destination_unavailable"));
            }
            if (status == 200 && seen.contains(0)) {
                backAt = System.nanoTime();
            }
            Thread.sleep(20);
        }
        assertTrue(restart.waitFor(60, TimeUnit.SECONDS), Files.readString(output));
        assertEquals(0, restart.exitValue(), Files.readString(output));
        assertTrue(backAt > 0, "the site came back through the restarted edge; statuses seen " + seen);
        long backMillis = (backAt - readyAt) / 1_000_000;
        System.out.printf("edge restart: statuses %s, connector back %d ms after the edge answered%n", seen, backMillis);
        assertTrue(seen.stream().allMatch(s -> s == 0 || s == 521 || s == 200), "refused, 521, then 200: " + seen);
        assertTrue(backMillis <= 2000, "the connector is back within 2 s of the edge: " + backMillis + " ms");
        JsonNode incident = awaitIncident("site", i -> "tunnel".equals(i.path("layer").asText()), Duration.ofSeconds(30));
        // refused while it is down, closed while it stops, 521 until the connector is back
        assertTrue(Set.of("refused", "error", "status").contains(incident.path("cause").asText()), incident.toString());
        awaitIncident("site", i -> "tunnel".equals(i.path("layer").asText()) && !i.path("endedAt").isNull(),
                Duration.ofSeconds(40));
    }

    // ------------------------------------------------------------------ (d)

    private void flowD_badDeployIsRolledBackAndTheAlertsSaySo() throws Exception {
        // The site gets a small app (app/Server.java), which the post-switch hook starts from the live release.
        Path site = runDir.resolve("site-repo");
        Files.createDirectories(site.resolve("app"));
        Files.writeString(site.resolve("app/Server.java"), appSource(200, "{\"status\": \"ok\"}"));
        git(site, "add", "app");
        String withApp = deployThroughWebhook(site, "Add the app", "e2e-2").path("release").asText();
        awaitCondition("the app answers through the tunnel", Duration.ofSeconds(60), () -> {
            HttpResponse<String> health = Http.send("GET", "http://127.0.0.1:" + edge + "/app/health", null);
            return health != null && health.statusCode() == 200;
        });
        HttpResponse<String> added = Http.send("POST", "http://127.0.0.1:" + monitor + "/api/checks",
                "{\"name\": \"app\", \"url\": \"http://127.0.0.1:" + edge + "/app/health\", \"interval\": \"1s\","
                        + " \"failures-before-down\": \"10\", \"site\": \"example\", \"entry-layer\": \"tunnel\","
                        + " \"alerts\": \"hook\"}",
                "Authorization", "Bearer " + secret("monitor-api-token"), "Content-Type", "application/json");
        assertEquals(201, added.statusCode(), added.body());
        awaitCondition("the app check is up", Duration.ofSeconds(30), () -> "up".equals(checkState("app")));

        // A release whose app answers 500.
        Files.writeString(site.resolve("app/Server.java"), appSource(500, "{\"status\": \"error\"}"));
        JsonNode deployment = deployThroughWebhook(site, "Break the app", "e2e-3");
        String bad = deployment.path("release").asText();
        assertEquals("succeeded", deployment.path("status").asText(), deployment.toString());

        // Visitors get the new release's 500 (after the hook's restart, during which the proxy answers 502: the
        // check allows 10 failures, so that the restart itself does not open the incident on a slow machine)...
        try {
            awaitCondition("the new release answers 500 through the tunnel", Duration.ofSeconds(30), () -> {
                HttpResponse<String> health = Http.send("GET", "http://127.0.0.1:" + edge + "/app/health", null);
                return health != null && health.statusCode() == 500;
            });
        } catch (AssertionError e) {
            System.out.println("app incidents: " + Http.get("http://127.0.0.1:" + monitor + "/api/incidents?check=app").body());
            System.out.println("live: " + live() + ", app log:\n" + readQuietly(runDir.resolve("app-state/app.log")));
            throw e;
        }
        // ...until monitor-service opens an incident, deploy-service rolls back, and the post-switch hook restarts the
        // app from the release that is live again.
        awaitCondition("the broken release is rolled back", Duration.ofSeconds(60), () -> withApp.equals(live()));
        JsonNode incident = awaitIncident("app", i -> "status".equals(i.path("cause").asText()), Duration.ofSeconds(10));
        assertEquals("origin", incident.path("layer").asText(), incident.toString());
        awaitCondition("the site is healthy again", Duration.ofSeconds(60), () -> "up".equals(checkState("app")));
        assertEquals(200, Http.get("http://127.0.0.1:" + edge + "/app/health").statusCode());
        awaitCondition("the alerts say what happened", Duration.ofSeconds(30), () -> alertsReceived.stream().anyMatch(
                a -> a.path("text").asText().contains("rolled back") && a.path("text").asText().contains(bad)));
        awaitCondition("and that it is resolved", Duration.ofSeconds(30), () -> alertsReceived.stream().anyMatch(
                a -> "incident.resolved".equals(a.path("kind").asText()) && a.path("incident").path("id").asLong()
                        == incident.path("id").asLong()));
    }

    private JsonNode deployThroughWebhook(Path site, String message, String delivery) throws Exception {
        String commit = commit(site, message);
        String body = "{\"ref\":\"refs/heads/main\",\"before\":\"" + "0".repeat(40) + "\",\"after\":\"" + commit
                + "\",\"pusher\":{\"name\":\"e2e\"},\"repository\":{\"full_name\":\"e2e/site\"}}";
        HttpResponse<String> hook = Http.send("POST", "http://127.0.0.1:" + deploy + "/hooks/github", body,
                "X-GitHub-Event", "push", "X-GitHub-Delivery", delivery, "Content-Type", "application/json",
                "X-Hub-Signature-256", "sha256=" + hmac(secret("webhook-secret"), body));
        assertEquals(202, hook.statusCode(), hook.body());
        JsonNode deployment = awaitDeployment(JSON.readTree(hook.body()).path("deployment").asLong());
        assertEquals("succeeded", deployment.path("status").asText(), deployment.toString());
        return deployment;
    }

    /** The example site's app: a single-file Java server, as a site would keep it in its repository. */
    private static String appSource(int status, String body) {
        return """
                import com.sun.net.httpserver.HttpServer;
                import java.net.InetSocketAddress;
                import java.nio.charset.StandardCharsets;

                /** The site's app behind /app/: health and, one day, more. */
                public class Server {
                    public static void main(String[] args) throws Exception {
                        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 0);
                        server.createContext("/", exchange -> {
                            byte[] body = "%s".getBytes(StandardCharsets.UTF_8);
                            exchange.getResponseHeaders().add("Content-Type", "application/json");
                            exchange.getResponseHeaders().add("Cache-Control", "no-store");
                            exchange.sendResponseHeaders(%d, body.length);
                            exchange.getResponseBody().write(body);
                            exchange.close();
                        });
                        server.start();
                    }
                }
                """.formatted(body.replace("\"", "\\\""), status);
    }

    /** The operator's post-switch hook: (re)starts the app from the release that just went live, waits for it. */
    private void writePostSwitchHook() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path hook = runDir.resolve("post-switch.sh");
        Files.writeString(hook, """
                #!/bin/sh
                app="$EDGESTACK_RELEASE_DIR/app/Server.java"
                [ -f "$app" ] || exit 0
                state=%s
                mkdir -p "$state"
                if [ -f "$state/pid" ]; then
                    old=$(cat "$state/pid")
                    kill "$old" 2> /dev/null || true
                    while kill -0 "$old" 2> /dev/null; do sleep 0.1; done
                fi
                nohup %s "$app" %d >> "$state/app.log" 2>&1 < /dev/null &
                echo $! > "$state/pid"
                i=0
                while [ $i -lt 300 ]; do
                    [ "$(curl -s -o /dev/null -w '%%{http_code}' http://127.0.0.1:%d/app/health)" != 000 ] && exit 0
                    sleep 0.1
                    i=$((i + 1))
                done
                echo "the app did not start" >&2
                exit 1
                """.formatted(runDir.resolve("app-state"), java, appPort, appPort));
        hook.toFile().setExecutable(true);
    }

    // ------------------------------------------------------------------ monitoring/ against a real Prometheus

    /**
     * A real Prometheus (Debian package) scrapes the suite after the flows' traffic, with the repository's rules:
     * every rule evaluates without error, and every PromQL expression of every Grafana dashboard (panels and deploy
     * annotations, Grafana's interval variables filled in) parses and returns data.
     */
    private void dashboardsAndRulesAgainstARealPrometheus() throws Exception {
        Path monitoring = Cli.repositoryRoot().resolve("monitoring");
        Path dir = Files.createDirectories(runDir.resolve("prometheus"));
        StringBuilder config = new StringBuilder("global: {scrape_interval: 1s, evaluation_interval: 1s}\n")
                .append("rule_files: [\"").append(monitoring.resolve("prometheus/rules/edgestack.yml")).append("\"]\n")
                .append("scrape_configs:\n");
        String[][] jobs = {{"edgestack-edge", "edge"}, {"edgestack-connector", "connector"}, {"edgestack-proxy", "proxy"},
                {"edgestack-deploy", "deploy"}, {"edgestack-monitor", "monitor"}};
        for (String[] job : jobs) {
            config.append("  - job_name: ").append(job[0]).append("\n    metrics_path: /q/metrics\n")
                    .append("    static_configs: [{targets: [\"127.0.0.1:").append(managementPort(job[1])).append('"');
            if (job[1].equals("proxy")) {
                config.append(", \"127.0.0.1:").append(cdnMgmt[0]).append("\", \"127.0.0.1:").append(cdnMgmt[1]).append('"');
            }
            config.append("]}]\n");
        }
        Files.writeString(dir.resolve("prometheus.yml"), config.toString());
        int port = Cli.freePort();
        Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        String api = "http://127.0.0.1:" + port + "/api/v1/";
        try {
            awaitCondition("Prometheus scrapes all 7 processes", Duration.ofSeconds(60), () -> {
                HttpResponse<String> targets = Http.send("GET", api + "targets", null);
                return targets != null && targets.body().split("\"health\":\"up\"", -1).length - 1 == 7;
            });
            Thread.sleep(6000); // a few scrapes, so that rates have two samples

            List<String> failures = new ArrayList<>();
            int queries = 0;
            try (var files = Files.list(monitoring.resolve("grafana/dashboards"))) {
                for (Path file : files.sorted().toList()) {
                    JsonNode dashboard = JSON.readTree(file.toFile());
                    List<String[]> exprs = new ArrayList<>();
                    for (JsonNode panel : dashboard.path("panels")) {
                        for (JsonNode target : panel.path("targets")) {
                            exprs.add(new String[] {panel.path("title").asText(), target.path("expr").asText()});
                        }
                    }
                    for (JsonNode annotation : dashboard.path("annotations").path("list")) {
                        if (annotation.has("expr")) {
                            exprs.add(new String[] {"annotation " + annotation.path("name").asText(),
                                    annotation.path("expr").asText()});
                        }
                    }
                    for (String[] expr : exprs) {
                        queries++;
                        String promql = expr[1].replace("$__rate_interval", "1m").replace("$__interval", "15s")
                                .replace("$__range", "1h");
                        HttpResponse<String> answer = Http.send("GET", api + "query?query="
                                + java.net.URLEncoder.encode(promql, StandardCharsets.UTF_8), null);
                        JsonNode body = JSON.readTree(answer.body());
                        if (!"success".equals(body.path("status").asText())) {
                            failures.add(file.getFileName() + " / " + expr[0] + ": " + body.path("error").asText());
                        } else if (body.path("data").path("result").isEmpty()) {
                            failures.add(file.getFileName() + " / " + expr[0] + ": no data for " + promql);
                        }
                    }
                }
            }
            assertTrue(failures.isEmpty(), failures.size() + " of " + queries + " dashboard queries failed:\n"
                    + String.join("\n", failures));
            System.out.printf("dashboards: %d PromQL queries, all with data%n", queries);

            long alerts = Files.readAllLines(monitoring.resolve("prometheus/rules/edgestack.yml")).stream()
                    .filter(line -> line.trim().startsWith("- alert:")).count();
            awaitCondition("every rule evaluated", Duration.ofSeconds(20), () -> {
                JsonNode rules = readJson(Http.send("GET", api + "rules", null).body());
                int evaluated = 0;
                for (JsonNode group : rules.path("data").path("groups")) {
                    for (JsonNode rule : group.path("rules")) {
                        assertEquals("ok", rule.path("health").asText(), rule.toString());
                        evaluated += rule.path("lastEvaluation").asText().startsWith("0001") ? 0 : 1;
                    }
                }
                return evaluated == alerts;
            });
        } finally {
            prometheus.destroy();
            prometheus.waitFor(20, TimeUnit.SECONDS);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    private static JsonNode readJson(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    // ------------------------------------------------------------------ set-up

    private void startApplicationAndAlertReceiver() throws IOException {
        app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        app.createContext("/", exchange -> {
            byte[] body = ("{\"hello\": \"world\", \"n\": " + appHits.incrementAndGet() + "}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.getResponseHeaders().add("Cache-Control", "max-age=1");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        app.start();
        alerts = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        alerts.createContext("/", exchange -> {
            alertsReceived.add(JSON.readTree(exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        alerts.start();
    }

    /** The origin proxy: the example site with an app under /api/, cached; HTML cacheable by the CDN (s-maxage). */
    private void writeSitesFiles() throws IOException {
        Files.writeString(runDir.resolve("origin-sites.yaml"), """
                default-site: example
                sites:
                  - name: example
                    hosts: [%s]
                    routes:
                      - path: /
                        static: {}
                      - path: /api/
                        upstream:
                          targets: [http://127.0.0.1:%d]
                          passive: {failures: 0}
                      - path: /app/
                        upstream:
                          targets: [http://127.0.0.1:%d]
                          passive: {failures: 0}
                      - path: /grpc/
                        upstream:
                          targets: [h2c://127.0.0.1:%d]
                    cache:
                      - {path: "^/assets/.*", cache-control: "public, max-age=31536000, immutable"}
                      - {path: ".*(/|\\\\.html)$", cache-control: "public, max-age=0, s-maxage=600"}
                    edge-cache:
                      stale-when-down: 1h
                """.formatted(HOST, app.getAddress().getPort(), appPort, grpcPort));
        Files.writeString(runDir.resolve("cdn-sites.yaml"), """
                default-site: cdn
                sites:
                  - name: cdn
                    hosts: [%s]
                    routes:
                      - path: /
                        upstream:
                          targets: [http://127.0.0.1:%d]
                          passive: {failures: 0}
                    edge-cache:
                      stale-when-down: 1h
                """.formatted(HOST, edge));
        Files.createDirectories(runDir.resolve("cdn-releases"));
    }

    private void configureSuite() {
        cli.env("EDGESTACK_PROXY_OPTS", "-Dedgestack.proxy.sites-file=" + runDir.resolve("origin-sites.yaml"));
        // deploy-service purges the CDN (replica A; the event bus takes it to B) for the site's public host, and
        // re-warms through replica A.
        cli.env("EDGESTACK_DEPLOY_OPTS", "-Dedgestack.deploy.proxy.admin-url=http://127.0.0.1:" + cdnMgmt[0]
                + " -Dedgestack.deploy.proxy.public-url=http://127.0.0.1:" + cdnPort[0]
                + " -Dedgestack.deploy.sites.example.public-hosts=" + HOST
                + " -Dedgestack.deploy.sites.example.post-switch-command=" + runDir.resolve("post-switch.sh"));
        String alertUrl = "http://127.0.0.1:" + alerts.getAddress().getPort() + "/alerts";
        cli.env("EDGESTACK_MONITOR_OPTS", String.join(" ",
                "-Dedgestack.monitor.checks.site.interval=1s", "-Dedgestack.monitor.checks.site.failures-before-down=2",
                "-Dedgestack.monitor.checks.api.url=http://127.0.0.1:" + edge + "/api/hello",
                "-Dedgestack.monitor.checks.api.interval=1s", "-Dedgestack.monitor.checks.api.failures-before-down=2",
                "-Dedgestack.monitor.checks.api.entry-layer=tunnel",
                "-Dedgestack.monitor.alerts.hook.type=webhook", "-Dedgestack.monitor.alerts.hook.url=" + alertUrl,
                "-Dedgestack.monitor.deploy.watch-interval=1s"));
    }

    private void startCdnReplicas() throws Exception {
        Path jar = Cli.repositoryRoot().resolve("proxy-service/target/quarkus-app/quarkus-run.jar");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int i = 0; i < 2; i++) {
            ProcessBuilder builder = new ProcessBuilder(java, "-Dquarkus.http.host=127.0.0.1",
                    "-Dquarkus.http.port=" + cdnPort[i], "-Dquarkus.management.host=127.0.0.1",
                    "-Dquarkus.management.port=" + cdnMgmt[i],
                    "-Dedgestack.proxy.sites-file=" + runDir.resolve("cdn-sites.yaml"),
                    "-Dedgestack.proxy.releases-root=" + runDir.resolve("cdn-releases"),
                    "-Dedgestack.cluster.enabled=true", "-Dedgestack.cluster.name=" + secret("cluster-name"),
                    // each replica keeps a disk tier too, as a CDN node would
                    "-Dedgestack.proxy.cache.disk-dir=" + runDir.resolve("cdn-cache-" + i),
                    "-jar", jar.toString())
                    .redirectErrorStream(true).redirectOutput(runDir.resolve("logs/cdn-" + (char) ('a' + i) + ".log").toFile());
            builder.environment().put("EDGESTACK_PROXY_ADMIN_TOKEN", secret("proxy-admin-token"));
            cdn.add(builder.start());
        }
        for (int i = 0; i < 2; i++) {
            int port = cdnMgmt[i];
            awaitCondition("CDN replica " + i + " ready", Duration.ofSeconds(90), () -> {
                HttpResponse<String> ready = Http.send("GET", "http://127.0.0.1:" + port + "/q/health/ready", null);
                return ready != null && ready.statusCode() == 200;
            });
        }
    }

    // ------------------------------------------------------------------ helpers

    private HttpResponse<String> cdnGet(int replica, String path) {
        HttpResponse<String> answer = Http.send("GET", "http://127.0.0.1:" + cdnPort[replica] + path, null, "Host", HOST);
        assertNotNull(answer, "CDN replica " + replica + " answers");
        return answer;
    }

    private void awaitXCache(int replica, String path, String... expected) throws Exception {
        for (String value : expected) {
            HttpResponse<String> answer = cdnGet(replica, path);
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals(value, answer.headers().firstValue("X-Cache").orElse(""), "replica " + replica + " " + path + ": "
                    + answer.headers().firstValue("Cache-Status").orElse(""));
        }
    }

    private String secret(String name) {
        try {
            return Files.readString(runDir.resolve("secrets").resolve(name)).strip();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private int managementPort(String process) {
        return Integer.parseInt(cli.env("EDGESTACK_" + process.toUpperCase() + "_MGMT_PORT"));
    }

    private static JsonNode readinessCheck(int port, String name) {
        HttpResponse<String> ready = Http.send("GET", "http://127.0.0.1:" + port + "/q/health/ready", null);
        if (ready == null) {
            return JSON.createObjectNode();
        }
        try {
            for (JsonNode check : JSON.readTree(ready.body()).path("checks")) {
                if (name.equals(check.path("name").asText())) {
                    return check;
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return JSON.createObjectNode();
    }

    private String checkState(String name) {
        try {
            for (JsonNode check : JSON.readTree(Http.get("http://127.0.0.1:" + monitor + "/api/status").body()).path("checks")) {
                if (name.equals(check.path("name").asText())) {
                    return check.path("state").asText();
                }
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return "";
    }

    private JsonNode awaitIncident(String check, java.util.function.Predicate<JsonNode> match, Duration within)
            throws Exception {
        JsonNode[] found = new JsonNode[1];
        awaitCondition("an incident of " + check, within, () -> {
            try {
                for (JsonNode incident : JSON.readTree(Http.get("http://127.0.0.1:" + monitor + "/api/incidents?check="
                        + check).body())) {
                    if (match.test(incident)) {
                        found[0] = incident;
                        return true;
                    }
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            return false;
        });
        return found[0];
    }

    private JsonNode awaitDeployment(long id) throws Exception {
        JsonNode[] last = new JsonNode[1];
        awaitCondition("deployment #" + id + " finished", Duration.ofSeconds(120), () -> {
            HttpResponse<String> answer = Http.send("GET", "http://127.0.0.1:" + deploy + "/api/deployments/" + id, null,
                    "Authorization", "Bearer " + secret("deploy-api-token"));
            try {
                last[0] = JSON.readTree(answer.body());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            String status = last[0].path("status").asText();
            return !status.equals("queued") && !status.equals("running");
        });
        return last[0];
    }

    private String live() {
        try {
            Path current = runDir.resolve("data/releases/example/current");
            return Files.readSymbolicLink(current).getFileName().toString();
        } catch (IOException e) {
            return "";
        }
    }

    private static String commit(Path repo, String message) throws Exception {
        git(repo, "-c", "user.name=e2e", "-c", "user.email=e2e@localhost", "-c", "commit.gpgsign=false", "commit", "-q", "-am",
                message);
        Process process = new ProcessBuilder("git", "rev-parse", "HEAD").directory(repo.toFile()).start();
        String sha = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, process.waitFor());
        return sha;
    }

    private static void git(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("git"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start();
        assertEquals(0, process.waitFor(), String.join(" ", command));
    }

    private static String hmac(String secret, String body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    }

    private static void awaitCondition(String what, Duration within, Supplier<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.get()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + within.toSeconds() + " s waiting for: " + what);
    }

    private void printRss() throws IOException {
        StringBuilder out = new StringBuilder("RSS with clustering on:");
        for (String process : List.of("edge", "connector", "proxy", "deploy", "monitor")) {
            long pid = Long.parseLong(Files.readString(runDir.resolve("pids/" + process + ".pid")).strip());
            out.append(' ').append(process).append('=').append(rssMegabytes(pid)).append("MB");
        }
        for (int i = 0; i < cdn.size(); i++) {
            out.append(" cdn-").append((char) ('a' + i)).append('=').append(rssMegabytes(cdn.get(i).pid())).append("MB");
        }
        System.out.println(out);
        assertFalse(out.isEmpty());
    }

    private static long rssMegabytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }
}
