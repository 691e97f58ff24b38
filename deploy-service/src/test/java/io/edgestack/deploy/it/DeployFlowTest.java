package io.edgestack.deploy.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import jakarta.inject.Inject;

import io.edgestack.deploy.webhook.Signatures;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

/**
 * The deploy pipeline against a real git repository and a recording proxy: webhooks, builds, the pre-switch check,
 * purges, queueing, rollbacks, logs and metrics. Each test pushes its own commits and waits for its own deployments.
 */
@QuarkusTest
@QuarkusTestResource(value = DeployTestResource.class, restrictToAnnotatedClass = true)
class DeployFlowTest {

    private static final String AUTH = "Bearer " + DeployTestResource.API_TOKEN;

    @TestHTTPResource("/")
    URL base;

    @TestHTTPResource(value = "", management = true)
    URL management;

    private static SiteFixture fixture() {
        return new SiteFixture(Path.of(System.getProperty("test.deploy.root")));
    }

    private static Path releases() {
        return fixture().root.resolve("releases").resolve("example");
    }

    private static String live() throws Exception {
        Path current = releases().resolve("current");
        return Files.isSymbolicLink(current) ? Files.readSymbolicLink(current).toString() : null;
    }

    private static String liveFile(String path) throws Exception {
        return Files.readString(releases().resolve("current").resolve(path));
    }

    private static Response github(String event, String body, String signature) {
        var request = given().header("X-GitHub-Event", event).header("X-GitHub-Delivery", "d-1").contentType("application/json")
                .body(body.getBytes(StandardCharsets.UTF_8));
        if (signature != null) {
            request.header("X-Hub-Signature-256", signature);
        }
        return request.post("/hooks/github");
    }

    private static String pushBody(String ref, String commit) {
        return "{\"ref\":\"" + ref + "\",\"before\":\"" + "1".repeat(40) + "\",\"after\":\"" + commit
                + "\",\"pusher\":{\"name\":\"ada\"},\"repository\":{\"full_name\":\"ada/site\"}}";
    }

    private static String sign(String body) {
        return "sha256=" + Signatures.hmacHex(DeployTestResource.WEBHOOK_SECRET, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Pushes {@code commit} to main through a signed GitHub webhook; returns the queued deployment's id. */
    private static long push(String commit) {
        String body = pushBody("refs/heads/main", commit);
        return github("push", body, sign(body)).then().statusCode(202).body("status", equalTo("queued"))
                .extract().jsonPath().getLong("deployment");
    }

    private static JsonPath await(long id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            JsonPath deployment = given().header("Authorization", AUTH).get("/api/deployments/" + id).then().statusCode(200)
                    .extract().jsonPath();
            String status = deployment.getString("status");
            if (!status.equals("queued") && !status.equals("running")) {
                return deployment;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("deployment #" + id + " did not finish in 60 s");
    }

    private static String deployNew(String page, String content) throws Exception {
        String commit = fixture().commit(Map.of(page, content), Set.of(), "Change " + page);
        JsonPath done = await(push(commit));
        assertEquals("succeeded", done.getString("status"), done.prettify());
        return done.getString("release");
    }

    private static int deploymentCount() {
        return given().header("Authorization", AUTH).get("/api/deployments?limit=500").then().statusCode(200)
                .extract().jsonPath().getList("$").size();
    }

    @Test
    void socketsGoThroughNettysEpollTransport() {
        assertTrue(vertx.isNativeTransportEnabled(), "quarkus.vertx.prefer-native-transport with netty-transport-native-epoll: "
                + vertx.unavailableNativeTransportCause());
    }

    @Test
    void deploysTheBranchHeadAtStartWhenNoReleaseIsLive() throws Exception {
        JsonPath first = await(1);
        assertEquals("startup", first.getString("trigger"));
        assertEquals("succeeded", first.getString("status"), first.prettify());
        assertTrue(first.getString("release").endsWith("-" + first.getString("commit").substring(0, 7)), first.prettify());
    }

    @Test
    void signedGithubPushDeploysThePushedCommit() throws Exception {
        await(1);
        String commit = fixture().commit(Map.of("site/index.html", "<h1>home pushed</h1>"), Set.of(), "Pushed home");
        long id = push(commit);
        JsonPath done = await(id);
        assertEquals("succeeded", done.getString("status"), done.prettify());
        assertEquals(commit, done.getString("commit"));
        assertEquals("github", done.getString("trigger"));
        assertTrue(done.getString("triggeredBy").contains("ada"), done.getString("triggeredBy"));
        String release = done.getString("release");
        assertTrue(release.endsWith("-" + commit.substring(0, 7)), release);
        assertEquals(release, live());
        assertEquals("<h1>home pushed</h1>", liveFile("index.html"));
        String metadata = Files.readString(releases().resolve(release).resolve(".edgestack/release.json"));
        assertTrue(metadata.contains(commit) && metadata.contains("Ada Tester") && metadata.contains("Pushed home"), metadata);
        assertTrue(Files.readString(fixture().root.resolve("post-switch.log")).contains(commit),
                "the post-switch command ran with the deployed commit");
        given().header("Authorization", AUTH).get("/api/releases").then().statusCode(200)
                .body("find { it.name == '" + release + "' }.live", equalTo(true))
                .body("find { it.name == '" + release + "' }.changedFiles", equalTo(1));
    }

    /**
     * GitHub's default content type for a new webhook is {@code application/x-www-form-urlencoded}: the JSON comes as the
     * form's {@code payload} field, and the signature covers the form as sent (it was a 400, "not a JSON object").
     */
    @Test
    void aFormEncodedGithubPushDeploysAsAJsonOneDoes() throws Exception {
        await(1);
        String commit = fixture().commit(Map.of("site/index.html", "<h1>pushed as a form</h1>"), Set.of(), "Form push");
        String form = "payload=" + java.net.URLEncoder.encode(pushBody("refs/heads/main", commit), StandardCharsets.UTF_8);
        long id = given().header("X-GitHub-Event", "push").header("X-Hub-Signature-256", sign(form))
                .contentType("application/x-www-form-urlencoded").body(form)
                .post("/hooks/github").then().statusCode(202).body("status", equalTo("queued"))
                .extract().jsonPath().getLong("deployment");
        JsonPath done = await(id);
        assertEquals("succeeded", done.getString("status"), done.prettify());
        assertEquals(commit, done.getString("commit"));
        assertEquals("<h1>pushed as a form</h1>", liveFile("index.html"));
        String empty = "zen=no+payload";
        given().header("X-GitHub-Event", "push").header("X-Hub-Signature-256", sign(empty))
                .contentType("application/x-www-form-urlencoded").body(empty)
                .post("/hooks/github").then().statusCode(400).body("detail", containsString("'payload' field"));
    }

    @Test
    void wrongOrMissingSignatureDeploysNothing() throws Exception {
        await(1);
        String commit = fixture().commit(Map.of("site/index.html", "<h1>forged</h1>"), Set.of(), "Forged");
        String body = pushBody("refs/heads/main", commit);
        int before = deploymentCount();
        String liveBefore = live();
        github("push", body, "sha256=" + "0".repeat(64)).then().statusCode(401)
                .contentType("application/problem+json").body("detail", containsString("nothing was deployed"));
        github("push", body, null).then().statusCode(401).body("detail", containsString("missing"));
        github("push", body, sign(body + " ")).then().statusCode(401);
        github("push", body, "sha256=zz").then().statusCode(401);
        given().header("X-Gitea-Event", "push").header("X-Gitea-Signature", "ab").body(body).post("/hooks/gitea")
                .then().statusCode(401);
        given().header("X-Gitlab-Event", "Push Hook").header("X-Gitlab-Token", "wrong").body(body).post("/hooks/gitlab")
                .then().statusCode(401);
        assertEquals(before, deploymentCount());
        assertEquals(liveBefore, live());
    }

    @Test
    void answersPingAndIgnoresPushesToOtherBranches() throws Exception {
        String ping = "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}";
        github("ping", ping, sign(ping)).then().statusCode(200).body("message", equalTo("pong"));
        String other = fixture().commitOn("feature", Map.of("site/index.html", "<h1>feature</h1>"), "Feature work");
        int before = deploymentCount();
        String body = pushBody("refs/heads/feature", other);
        github("push", body, sign(body)).then().statusCode(202).body("status", equalTo("ignored"))
                .body("reason", containsString("deploys refs/heads/main"));
        String deleted = pushBody("refs/heads/main", "0".repeat(40));
        github("push", deleted, sign(deleted)).then().statusCode(202).body("status", equalTo("ignored"));
        github("push", "not json", sign("not json")).then().statusCode(400);
        assertEquals(before, deploymentCount());
    }

    @Test
    void giteaAndGitlabPushesDeployWithTheirOwnSchemes() throws Exception {
        await(1);
        String commit = fixture().commit(Map.of("site/about.html", "<h1>about gitea</h1>"), Set.of(), "Gitea");
        String body = pushBody("refs/heads/main", commit);
        long id = given().header("X-Gitea-Event", "push")
                .header("X-Gitea-Signature", Signatures.hmacHex(DeployTestResource.WEBHOOK_SECRET,
                        body.getBytes(StandardCharsets.UTF_8)))
                .body(body).post("/hooks/gitea").then().statusCode(202).extract().jsonPath().getLong("deployment");
        assertEquals("succeeded", await(id).getString("status"));
        assertEquals("<h1>about gitea</h1>", liveFile("about.html"));

        String second = fixture().commit(Map.of("site/about.html", "<h1>about gitlab</h1>"), Set.of(), "GitLab");
        String gitlab = "{\"object_kind\":\"push\",\"ref\":\"refs/heads/main\",\"after\":\"" + second
                + "\",\"user_username\":\"ada\"}";
        long id2 = given().header("X-Gitlab-Event", "Push Hook").header("X-Gitlab-Token", DeployTestResource.WEBHOOK_SECRET)
                .body(gitlab).post("/hooks/gitlab").then().statusCode(202).extract().jsonPath().getLong("deployment");
        JsonPath done = await(id2);
        assertEquals("gitlab", done.getString("trigger"));
        assertEquals("<h1>about gitlab</h1>", liveFile("about.html"));
    }

    @Test
    void failingBuildLeavesTheLiveReleaseServing() throws Exception {
        await(1);
        String liveBefore = live();
        List<JsonObject> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
        var consumer = vertx.eventBus().<JsonObject>consumer("deploy.failed", m -> failed.add(m.body()));
        String commit = fixture().commit(Map.of("fail", "missing dependency left-pad", "site/index.html", "<h1>broken</h1>"),
                Set.of(), "Broken build");
        JsonPath done = await(push(commit));
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (failed.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        consumer.unregister();
        JsonObject event = failed.stream().filter(e -> e.getLong("deployment") == done.getLong("id")).findFirst().orElseThrow();
        assertEquals("example", event.getString("site"));
        assertEquals("build", event.getString("stage"));
        assertTrue(event.getString("reason").contains("missing dependency left-pad"), event.encode());
        assertEquals(liveBefore, event.getString("liveRelease"));
        assertEquals("github", event.getString("trigger"));
        assertEquals(1, event.getInteger("version"));
        assertEquals("failed", done.getString("status"));
        assertEquals("build", done.getString("stage"));
        assertTrue(done.getString("reason").contains("exited with status 3"), done.getString("reason"));
        assertTrue(done.getString("reason").contains("missing dependency left-pad"), done.getString("reason"));
        assertEquals(liveBefore, live());
        assertFalse(liveFile("index.html").contains("broken"));
        fixture().commit(Map.of(), Set.of("fail"), "Fix the build");
    }

    @Test
    void aBodyThatIsNotJsonOrOfTheWrongShapeGetsAProblemSayingWhere() {
        int before = deploymentCount();
        given().header("Authorization", AUTH).contentType("application/json").body("{\"ref\": \"main\"").post("/api/deployments")
                .then().statusCode(400).contentType("application/problem+json").body("title", equalTo("Invalid JSON"))
                .body("detail", containsString("The body is not valid JSON: Unexpected end-of-input"));
        given().header("Authorization", AUTH).contentType("application/json").body("{\"ref\": [\"main\"]}").post("/api/deployments")
                .then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("The body's JSON does not fit: Cannot deserialize value of type"));
        assertEquals(before, deploymentCount(), "nothing queued");
        // a query parameter that is no number: a problem saying so (an empty 404 before, as if the path did not exist)
        given().header("Authorization", AUTH).get("/api/deployments?limit=all").then().statusCode(400)
                .contentType("application/problem+json")
                .body("detail", equalTo("'limit' is a whole number of deployments (at most 500), not 'all'."));
    }

    @Test
    void failingPreSwitchCheckRefusesTheSwitchAndSaysWhy() throws Exception {
        await(1);
        String liveBefore = live();
        String commit = fixture().commit(Map.of(), Set.of("site/blog/index.html"), "Remove the blog");
        JsonPath done = await(push(commit));
        assertEquals("failed", done.getString("status"));
        assertEquals("check", done.getString("stage"));
        assertTrue(done.getString("reason").contains("health path /blog/: no file in the release (looked for blog/index.html, blog/index.php)"),
                done.getString("reason"));
        assertEquals(liveBefore, live());
        given().header("Authorization", AUTH).get("/api/releases").then()
                .body("find { it.name == '" + done.getString("release") + "' }.state", equalTo("refused"));
        fixture().commit(Map.of("site/blog/index.html", "<h1>blog back</h1>"), Set.of(), "Blog back");
    }

    @Test
    void purgesExactlyTheUrlsOfChangedFilesAndRewarmsThePages() throws Exception {
        await(1);
        deployNew("site/index.html", "<h1>before purge test</h1>");
        fixture().forgetProxyRequests();
        String commit = fixture().commit(Map.of("site/about.html", "<h1>about " + Instant.now() + "</h1>",
                "site/assets/app.css", "body { color: " + System.nanoTime() + " }"), Set.of(), "Two files");
        JsonPath done = await(push(commit));
        assertEquals("succeeded", done.getString("status"), done.prettify());
        assertTrue(done.getString("purge").startsWith("ok: purged 3 URL(s)"), done.getString("purge"));
        List<String> purges = fixture().proxyRequests().stream().filter(l -> l.startsWith("POST /admin/purge")).toList();
        assertEquals(1, purges.size(), purges.toString());
        assertTrue(purges.get(0).contains("auth=Bearer " + DeployTestResource.PROXY_TOKEN), purges.get(0));
        assertTrue(purges.get(0).endsWith("body={\"urls\":[\"http://site.test/about\",\"http://site.test/about.html\","
                + "\"http://site.test/assets/app.css\"]}"), purges.get(0));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (fixture().proxyRequests().stream().noneMatch(l -> l.startsWith("GET /about host=site.test"))
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<String> gets = fixture().proxyRequests().stream().filter(l -> l.startsWith("GET ")).toList();
        assertEquals(1, gets.size(), "only the changed page is re-warmed: " + gets);

        fixture().forgetProxyRequests();
        deployNew("site/404.html", "<h1>new not found page</h1>");
        List<String> everything = fixture().proxyRequests().stream().filter(l -> l.startsWith("POST /admin/purge")).toList();
        assertEquals(1, everything.size());
        assertTrue(everything.get(0).endsWith("body={\"everything\":true}"), everything.get(0));
    }

    @Test
    void aPurgeThatFailsIsRecordedAndTheReleaseStaysLive() throws Exception {
        await(1);
        Path down = fixture().root.resolve("proxy-down");
        Files.writeString(down, "");
        try {
            fixture().forgetProxyRequests();
            String commit = fixture().commit(Map.of("site/about.html", "<h1>about, proxy down</h1>"), Set.of(), "Proxy down");
            JsonPath done = await(push(commit));
            assertEquals("succeeded", done.getString("status"), done.prettify());
            assertTrue(done.getString("purge").startsWith("failed: "), done.getString("purge"));
            assertTrue(done.getString("purge").contains("the new release is live"), done.getString("purge"));
            assertEquals("<h1>about, proxy down</h1>", liveFile("about.html"));
            long attempts = fixture().proxyRequests().stream().filter(l -> l.startsWith("POST /admin/purge")).count();
            assertTrue(attempts >= 2, "the purge was retried: " + attempts + " attempt(s)");
        } finally {
            Files.delete(down);
            Thread.sleep(300); // the circuit breaker's (shortened) delay
        }
    }

    @Test
    void pushesDuringASlowBuildAreCoalescedToTheNewestAndNoneIsLost() throws Exception {
        await(1);
        String slow = fixture().commit(Map.of("delay", "2", "site/a.html", "a"), Set.of(), "Slow build");
        long first = push(slow);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!"build".equals(given().header("Authorization", AUTH).get("/api/deployments/" + first).jsonPath()
                .getString("stage")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        String b = fixture().commit(Map.of("site/b.html", "b"), Set.of("delay"), "B");
        long second = push(b);
        String c = fixture().commit(Map.of("site/c.html", "c"), Set.of(), "C");
        long third = push(c);
        String d = fixture().commit(Map.of("site/d.html", "d"), Set.of(), "D");
        long fourth = push(d);

        assertEquals("succeeded", await(first).getString("status"));
        JsonPath newest = await(fourth);
        assertEquals("succeeded", newest.getString("status"), newest.prettify());
        assertEquals(d, newest.getString("commit"));
        assertEquals("superseded", await(second).getString("status"));
        JsonPath skipped = await(third);
        assertEquals("superseded", skipped.getString("status"));
        assertTrue(skipped.getString("reason").contains("superseded by #" + fourth), skipped.getString("reason"));
        for (String page : List.of("a.html", "b.html", "c.html", "d.html")) {
            assertTrue(Files.exists(releases().resolve("current").resolve(page)), page + " is live");
        }
    }

    @Test
    void manualRollbackGoesBackToThePreviousOrANamedRelease() throws Exception {
        await(1);
        String older = deployNew("site/index.html", "<h1>rollback one</h1>");
        String newer = deployNew("site/index.html", "<h1>rollback two</h1>");
        assertEquals(newer, live());
        long start = System.nanoTime();
        JsonPath rollback = given().header("Authorization", AUTH).contentType("application/json").body("{}")
                .post("/api/rollback").then().statusCode(200).extract().jsonPath();
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(older, live(), "rolled back in " + millis + " ms");
        assertEquals("rollback", rollback.getString("kind"));
        assertEquals("succeeded", rollback.getString("status"));
        assertEquals(newer, rollback.getString("previousRelease"));
        assertEquals("<h1>rollback one</h1>", liveFile("index.html"));

        given().header("Authorization", AUTH).contentType("application/json").body("{\"release\":\"" + newer + "\"}")
                .post("/api/rollback").then().statusCode(200);
        assertEquals(newer, live());
        given().header("Authorization", AUTH).contentType("application/json").body("{\"release\":\"no-such-release\"}")
                .post("/api/rollback").then().statusCode(409).body("detail", containsString("no release named"));
        given().header("Authorization", AUTH).contentType("application/json").body("{\"release\":\"../../etc\"}")
                .post("/api/rollback").then().statusCode(409);
    }

    @Test
    void incidentSoonAfterADeployRollsItBackAndMarksItFailed() throws Exception {
        await(1);
        String good = deployNew("site/index.html", "<h1>good</h1>");
        String bad = deployNew("site/index.html", "<h1>bad</h1>");
        JsonPath decision = given().header("Authorization", AUTH).contentType("application/json")
                .body("{\"site\":\"example\",\"summary\":\"GET / returned 500 three times\"}").post("/api/incidents")
                .then().statusCode(200).extract().jsonPath();
        assertEquals("rolled-back", decision.getString("action"), decision.prettify());
        assertEquals(good, live());
        assertEquals("monitor", decision.getString("rollback.trigger"));
        given().header("Authorization", AUTH).get("/api/releases").then()
                .body("find { it.name == '" + bad + "' }.state", equalTo("failed"))
                .body("find { it.name == '" + bad + "' }.stateReason", containsString("GET / returned 500"));
        // the failed release is not rolled forward to by accident
        given().header("Authorization", AUTH).contentType("application/json").body("{\"release\":\"" + bad + "\"}")
                .post("/api/rollback").then().statusCode(409).body("detail", containsString("marked failed"));
        // a second incident does not roll back again: the last switch was a rollback
        given().header("Authorization", AUTH).contentType("application/json").body("{\"site\":\"example\"}")
                .post("/api/incidents").then().statusCode(200).body("action", equalTo("none"));
        assertEquals(good, live());
        // an incident that began before the deploy is not the deploy's fault
        deployNew("site/index.html", "<h1>after</h1>");
        given().header("Authorization", AUTH).contentType("application/json")
                .body("{\"site\":\"example\",\"openedAt\":\"2020-01-01T00:00:00Z\"}").post("/api/incidents").then()
                .statusCode(200).body("action", equalTo("none")).body("reason", containsString("before deployment"));
    }

    @Inject
    Vertx vertx;

    @Test
    void publishesDeployCompletedAndRollsBackOnAnIncidentEvent() throws Exception {
        await(1);
        List<JsonObject> completed = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<JsonObject> rolledBack = new java.util.concurrent.CopyOnWriteArrayList<>();
        var c1 = vertx.eventBus().<JsonObject>consumer("deploy.completed", m -> completed.add(m.body()));
        var c2 = vertx.eventBus().<JsonObject>consumer("deploy.rolled-back", m -> rolledBack.add(m.body()));
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<JsonObject> windows = new java.util.concurrent.CopyOnWriteArrayList<>();
        var c3 = vertx.eventBus().<JsonObject>consumer("maintenance.started", m -> {
            windows.add(m.body());
            order.add("started");
        });
        var c4 = vertx.eventBus().<JsonObject>consumer("maintenance.ended", m -> order.add("ended " + m.body().getString("id")));
        var c5 = vertx.eventBus().<JsonObject>consumer("deploy.completed", m -> order.add("completed"));
        try {
            String good = deployNew("site/index.html", "<h1>event good</h1>");
            order.clear();
            String bad = deployNew("site/index.html", "<h1>event bad</h1>");
            // The switch is wrapped in a maintenance window for monitor-service, closed before deploy.completed.
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (order.size() < 3 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertEquals(List.of("started", "ended deploy-example", "completed"), order);
            JsonObject window = windows.get(windows.size() - 1);
            assertEquals("example", window.getString("site"));
            assertEquals(10, window.getInteger("minutes"));
            assertEquals(true, window.getBoolean("holdIncidents"), "monitor-service judges incidents after the switch");
            assertEquals(1, window.getInteger("version"));
            assertTrue(window.getString("reason").contains(bad), window.encode());
            JsonObject event = completed.stream().filter(e -> bad.equals(e.getString("release"))).findFirst().orElseThrow();
            assertEquals(1, event.getInteger("version"));
            assertEquals(good, event.getString("previousRelease"));
            assertEquals("github", event.getString("trigger"));
            // malformed events are logged and dropped; the consumer keeps working
            vertx.eventBus().publish("monitor.incident.opened", new JsonObject().put("nothing", "useful"));
            vertx.eventBus().publish("monitor.incident.opened", new JsonObject().put("site", "example").put("openedAt", "yesterday"));
            // not the release's fault (the tunnel failed), or already decided over HTTP: no rollback
            vertx.eventBus().publish("monitor.incident.opened", new JsonObject().put("site", "example")
                    .put("summary", "refused").put("openedAt", Instant.now().toString())
                    .put("incident", new JsonObject().put("cause", "refused").put("layer", "tunnel")));
            vertx.eventBus().publish("monitor.incident.opened", new JsonObject().put("site", "example")
                    .put("summary", "500").put("openedAt", Instant.now().toString())
                    .put("deploy", new JsonObject().put("action", "none").put("reason", "told over HTTP")));
            Thread.sleep(1000);
            assertEquals(bad, live(), "neither event rolled the release back");
            vertx.eventBus().publish("monitor.incident.opened", new JsonObject().put("site", "example")
                    .put("summary", "keyword 'Welcome' missing").put("openedAt", Instant.now().toString()));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!good.equals(live()) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(good, live(), "the incident event rolled the deploy back");
            while (rolledBack.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(true, rolledBack.get(0).getBoolean("automatic"));
            assertEquals(bad, rolledBack.get(0).getString("previousRelease"));
            // the post-switch command ran after the rollback too, for the release live again and in its folder
            Path postSwitch = fixture().root.resolve("post-switch.log");
            String expected = good + " rollback=true " + good;
            while (!Files.readString(postSwitch).contains(expected) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(Files.readString(postSwitch).contains(expected), Files.readString(postSwitch));
            assertTrue(Files.readString(postSwitch).contains(bad + " rollback= " + bad), "after the deploy: its release");
        } finally {
            c1.unregister();
            c2.unregister();
            c3.unregister();
            c4.unregister();
            c5.unregister();
        }
    }

    @Test
    void apiAndHistoryPageNeedTheToken() throws Exception {
        given().get("/api/deployments").then().statusCode(401).header("WWW-Authenticate", containsString("Bearer"));
        given().header("Authorization", "Bearer wrong").get("/api/deployments").then().statusCode(401);
        given().header("Authorization", "Bearer wrong").contentType("application/json").body("{}").post("/api/rollback")
                .then().statusCode(401);
        given().get("/deployments").then().statusCode(401).header("WWW-Authenticate", containsString("Basic"));
        given().auth().preemptive().basic("anyone", DeployTestResource.API_TOKEN).get("/deployments").then().statusCode(200)
                .contentType(containsString("text/html")).body(containsString("Deployments of example"));
        given().header("Authorization", AUTH).get("/api/deployments?site=nope").then().statusCode(404)
                .body("detail", containsString("No site named 'nope'"));
        given().header("Authorization", AUTH).contentType("application/json").body("{\"ref\":\"../x\"}")
                .post("/api/deployments").then().statusCode(400);
    }

    @Test
    void apiDeploymentStreamsItsLogLiveAndKeepsIt() throws Exception {
        await(1);
        String commit = fixture().commit(Map.of("delay", "1", "site/live.html", "live"), Set.of(), "Slow for the log");
        long id = given().header("Authorization", AUTH).header("X-Edgestack-Actor", "cli ada").contentType("application/json")
                .body("{\"ref\":\"main\"}").post("/api/deployments").then().statusCode(202).extract().jsonPath().getLong("id");
        String all = String.join("\n", events(id));
        assertTrue(all.contains("built " + commit + " for example with hello from the config"), all);
        assertTrue(all.contains("Done in"), all);
        JsonPath done = await(id);
        assertEquals("api (cli ada)", done.getString("triggeredBy"));
        given().header("Authorization", AUTH).get("/api/deployments/" + id + "/log").then().statusCode(200)
                .body(containsString("built " + commit)).body(containsString("Live: "));
        fixture().commit(Map.of(), Set.of("delay"), "Fast again");
    }

    @Test
    void aSiteInMaintenanceHasItsFileForTheProxiesAndTheMonitorIsTold() throws Exception {
        List<JsonObject> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        var started = vertx.eventBus().<JsonObject>consumer("maintenance.started", m -> {
            if ("maintenance-example".equals(m.body().getString("id"))) { // not a deploy's own window
                events.add(m.body());
            }
        });
        var ended = vertx.eventBus().<JsonObject>consumer("maintenance.ended", m -> {
            if ("maintenance-example".equals(m.body().getString("id"))) {
                events.add(m.body().copy().put("ended", true));
            }
        });
        Path file = releases().resolve("maintenance.json");
        try {
            given().contentType("application/json").body("{\"message\":\"x\"}").post("/api/maintenance").then().statusCode(401);
            given().header("Authorization", AUTH).get("/api/maintenance").then().statusCode(200).body("maintenance", equalTo(false));
            given().header("Authorization", AUTH).header("X-Edgestack-Actor", "ada").contentType("application/json")
                    .body("{\"message\":\"Moving to a new database, back at 14:00.\"}").post("/api/maintenance").then()
                    .statusCode(200).body("maintenance", equalTo(true)).body("by", equalTo("api (ada)"));
            JsonObject written = new JsonObject(Files.readString(file));
            assertEquals("Moving to a new database, back at 14:00.", written.getString("message"));
            given().header("Authorization", AUTH).get("/api/maintenance?site=example").then().statusCode(200)
                    .body("maintenance", equalTo(true)).body("message", equalTo("Moving to a new database, back at 14:00."));
            given().header("Authorization", AUTH).contentType("application/json").body("{\"message\":\"a\\u0007b\"}")
                    .post("/api/maintenance").then().statusCode(400);
            given().header("Authorization", AUTH).contentType("application/json").body("{\"site\":\"nope\"}")
                    .post("/api/maintenance").then().statusCode(404);
            // the live release and the releases list are untouched by it
            assertTrue(Files.isDirectory(releases().resolve("current")));
            given().header("Authorization", AUTH).get("/api/releases").then().statusCode(200)
                    .body("name", not(hasItem("maintenance.json")));
            given().header("Authorization", AUTH).delete("/api/maintenance").then().statusCode(200)
                    .body("maintenance", equalTo(false)).body("ended", equalTo(true));
            assertFalse(Files.exists(file));
            for (long until = System.nanoTime() + Duration.ofSeconds(5).toNanos(); events.size() < 2 && System.nanoTime() < until; ) {
                Thread.sleep(20);
            }
            assertEquals(2, events.size(), "the monitor is told of the start and the end: " + events);
            assertEquals("maintenance-example", events.get(0).getString("id"));
            assertEquals("example", events.get(0).getString("site"));
            assertEquals("Moving to a new database, back at 14:00.", events.get(0).getString("reason"));
            assertEquals(Boolean.TRUE, events.get(0).getBoolean("holdIncidents"));
            assertEquals(Boolean.TRUE, events.get(events.size() - 1).getBoolean("ended"));
        } finally {
            started.unregister();
            ended.unregister();
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aLockedSiteRefusesDeploysWithItsReasonButNotRollbacksUntilItIsUnlocked() throws Exception {
        try {
            await(1);
            String before = deployNew("site/lock-a.html", "before the freeze");
            String live = live();
            given().header("Authorization", AUTH).get("/api/lock").then().statusCode(200).body("locked", equalTo(false));
            given().header("Authorization", AUTH).contentType("application/json").body("{\"reason\":\"  \"}").post("/api/lock")
                    .then().statusCode(400);
            given().contentType("application/json").body("{\"reason\":\"no token\"}").post("/api/lock").then().statusCode(401);
            given().header("Authorization", AUTH).header("X-Edgestack-Actor", "ada").contentType("application/json")
                    .body("{\"reason\":\"Black Friday freeze\"}").post("/api/lock").then().statusCode(200)
                    .body("locked", equalTo(true)).body("reason", equalTo("Black Friday freeze")).body("lockedBy", equalTo("api (ada)"));
            int deployments = deploymentCount();
            // a push: refused, the forge is told why (423), nothing queued
            String commit = fixture().commit(Map.of("site/lock-b.html", "during the freeze"), Set.of(), "During the freeze");
            String body = pushBody("refs/heads/main", commit);
            github("push", body, sign(body)).then().statusCode(423).contentType("application/problem+json")
                    .body("detail", containsString("Deploys of example are locked by api (ada) since "))
                    .body("detail", containsString(": Black Friday freeze. Unlock with DELETE /api/lock?site=example"));
            given().header("Authorization", AUTH).contentType("application/json").body("{\"ref\":\"main\"}").post("/api/deployments")
                    .then().statusCode(423).body("title", equalTo("Deploys locked"));
            assertEquals(deployments, deploymentCount(), "nothing queued while locked");
            assertEquals(live, live());
            String metrics = given().get(management + "metrics").then().statusCode(200).extract().asString();
            assertTrue(metrics.contains("edgestack_deploy_locked{site=\"example\"} 1.0"), metrics);
            assertTrue(metric(metrics, "edgestack_deploy_refused_total{reason=\"locked\",site=\"example\"}") >= 2, metrics);
            // a rollback still goes through: it is how a site is saved
            given().header("Authorization", AUTH).contentType("application/json").body("{}").post("/api/rollback").then().statusCode(200);
            assertTrue(!live.equals(live()), "rolled back while locked");
            // unlocked: the next push deploys
            given().header("Authorization", AUTH).delete("/api/lock").then().statusCode(200).body("locked", equalTo(false));
            assertTrue(given().get(management + "metrics").then().extract().asString()
                    .contains("edgestack_deploy_locked{site=\"example\"} 0.0"));
            JsonPath after = await(push(commit));
            assertEquals("succeeded", after.getString("status"), after.prettify());
            assertEquals("during the freeze", liveFile("lock-b.html"));
            assertTrue(!before.equals(after.getString("release")));
        } finally { // the other tests deploy: never leave the site locked
            given().header("Authorization", AUTH).delete("/api/lock");
        }
    }

    @Test
    void followingADeploymentStillInItsQueueWaitsForItsLog() throws Exception {
        await(1);
        fixture().commit(Map.of("delay", "1", "site/queued.html", "queued"), Set.of(), "Slow, to keep the next one queued");
        long running = given().header("Authorization", AUTH).contentType("application/json").body("{\"ref\":\"main\"}")
                .post("/api/deployments").then().statusCode(202).extract().jsonPath().getLong("id");
        long queued = given().header("Authorization", AUTH).contentType("application/json").body("{\"ref\":\"main\"}")
                .post("/api/deployments").then().statusCode(202).extract().jsonPath().getLong("id");
        assertEquals("queued", given().header("Authorization", AUTH).get("/api/deployments/" + queued).then()
                .extract().jsonPath().getString("status"), "still waiting behind #" + running);
        // followed at once, as `bin/edgestack deploy` does: the stream waits for the deployment to start (it was empty)
        String all = String.join("\n", events(queued));
        assertTrue(all.contains("Deployment #" + queued + " of example") && all.contains("Done in"), all);
        assertEquals("succeeded", await(queued).getString("status"));
        fixture().commit(Map.of(), Set.of("delay"), "Fast again");
    }

    /** The value of a series in Prometheus' text format, or -1 when it is not there. */
    private static double metric(String metrics, String series) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return -1;
    }

    /** The data lines of a deployment's server-sent log, read until the server ends the stream. */
    private List<String> events(long id) throws Exception {
        HttpResponse<java.io.InputStream> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(base + "api/deployments/" + id + "/events")).header("Authorization", AUTH)
                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        List<String> events = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("data:")) {
                    events.add(line.substring(5).trim());
                }
            }
        }
        return events;
    }

    @Test
    void keepsTheConfiguredNumberOfReleasesButNeverTheLiveOneOrTheRollbackTarget() throws Exception {
        await(1);
        String target = deployNew("site/index.html", "<h1>keep target</h1>");
        for (int i = 0; i < 4; i++) {
            String refused = fixture().commit(Map.of("site/index.html", ""), Set.of(), "Empty home " + i);
            assertEquals("check", await(push(refused)).getString("stage"));
        }
        String newest = deployNew("site/index.html", "<h1>keep newest</h1>");
        try (var list = Files.list(releases())) {
            List<String> names = list.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".") && !n.equals("current"))
                    .sorted().toList();
            assertEquals(4, names.size(), names.toString());
            assertTrue(names.contains(newest), "the live release is kept: " + names);
            assertTrue(names.contains(target), "the rollback target is kept, however old: " + names);
        }
        given().header("Authorization", AUTH).contentType("application/json").body("{}").post("/api/rollback").then()
                .statusCode(200).body("release", equalTo(target));
    }

    @Test
    void publishesDeployMetrics() throws Exception {
        await(1);
        deployNew("site/index.html", "<h1>metrics</h1>");
        String metrics = given().get(management + "metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("edgestack_deploy_deployments_total{result=\"succeeded\",site=\"example\""), metrics);
        assertTrue(metrics.contains("edgestack_deploy_live_release_info{release=\"" + live() + "\",site=\"example\""), metrics);
        assertTrue(metrics.contains("edgestack_deploy_queued{site=\"example\"} 0.0"), metrics);
        assertTrue(metrics.contains("edgestack_deploy_build_seconds_bucket"), metrics);
        assertTrue(metrics.contains("edgestack_deploy_duration_seconds_count"), metrics);
    }
}
