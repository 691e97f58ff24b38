package io.edgestack.monitor.it;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** monitor-service against real servers on loopback: incidents, alerts, deploy-aware rollback, TLS, TCP and push checks. */
@QuarkusTest
@QuarkusTestResource(value = MonitorTestResource.class, restrictToAnnotatedClass = true)
class MonitorFlowTest {

    private static final String AUTH = "Bearer " + MonitorTestResource.API_TOKEN;

    @TestHTTPResource(value = "", management = true)
    URL management;

    private static Targets targets() {
        return new Targets(Path.of(System.getProperty("test.monitor.root")));
    }

    private static void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never happened within " + limit.toSeconds() + " s: " + what);
            }
            Thread.sleep(50);
        }
    }

    private static JsonPath check(String name) {
        return given().get("/api/status").then().statusCode(200).extract().jsonPath()
                .setRootPath("checks.find { it.name == '" + name + "' }");
    }

    private static List<String> requests(String prefix) {
        try {
            return targets().requests().stream().filter(l -> l.startsWith(prefix)).toList();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void socketsGoThroughNettysEpollTransport() {
        assertTrue(vertx.isNativeTransportEnabled(), "quarkus.vertx.prefer-native-transport with netty-transport-native-epoll: "
                + vertx.unavailableNativeTransportCause());
    }

    @Test
    void siteDownOpensAnIncidentAfterTheFailuresAndARecheckRollsBackAndAlertsEvenThroughAReceiverThatWasDown()
            throws Exception {
        await("web is up", Duration.ofSeconds(10), () -> "up".equals(check("web").getString("state")));
        int deployCalls = requests("POST /api/incidents").size();
        int hooks = requests("POST /hook").size();
        targets().flag("receiver-down", true);
        targets().flag("site-down", true);
        try {
            incidentFlow(deployCalls, hooks);
        } finally {
            targets().flag("receiver-down", false);
            targets().flag("site-down", false);
        }
    }

    private void incidentFlow(int deployCalls, int hooks) throws Exception {
        long start = System.nanoTime();
        await("web is down", Duration.ofSeconds(15), () -> "down".equals(check("web").getString("state")));
        long detectedMs = (System.nanoTime() - start) / 1_000_000;
        // 2 failures at a 1 s interval, then the immediate re-check: about 2 s, never after the first failure alone
        assertTrue(detectedMs >= 900, "detected after " + detectedMs + " ms");
        JsonPath incident = given().get("/api/incidents?check=web").then().statusCode(200).extract().jsonPath();
        assertEquals("status", incident.getString("[0].cause"));
        assertTrue(incident.getString("[0].summary").startsWith("HTTP 500 in "), incident.getString("[0].summary"));
        assertTrue(incident.getString("[0].summary").contains("(expected 200-399): <h1>Internal Server Error</h1>"),
                incident.getString("[0].summary"));
        assertTrue(incident.getInt("[0].failures") >= 3, "failures counted with the re-check: " + incident.prettify());

        await("deploy-service told", Duration.ofSeconds(10), () -> requests("POST /api/incidents").size() > deployCalls);
        String call = requests("POST /api/incidents").get(requests("POST /api/incidents").size() - 1);
        assertTrue(call.contains("auth=Bearer deploy-token-for-tests") && call.contains("\"site\":\"example\""), call);

        // the webhook receiver is down: the alert is kept and retried
        await("a failed delivery is recorded", Duration.ofSeconds(10), () -> given().header("Authorization", AUTH)
                .get("/api/alerts?status=retrying").jsonPath().getList("channel").contains("hook"));
        JsonPath retrying = given().header("Authorization", AUTH).get("/api/alerts?status=retrying").jsonPath();
        assertTrue(retrying.getString("[0].lastError").startsWith("HTTP 503"), retrying.prettify());
        targets().flag("receiver-down", false);
        await("the opened alert reaches the webhook", Duration.ofSeconds(15), () -> requests("POST /hook").stream()
                .skip(hooks).anyMatch(l -> l.contains("\"kind\":\"incident.opened\"") && l.contains("\"check\":\"web\"")));
        String opened = requests("POST /hook").stream().skip(hooks).filter(l -> l.contains("incident.opened")
                && l.contains("\"check\":\"web\"")).findFirst().orElseThrow();
        assertTrue(opened.contains("release 20261124T110000.000Z-bbbbbbb rolled back to 20261124T100000.000Z-aaaaaaa"), opened);
        await("slack got it too", Duration.ofSeconds(10), () -> requests("POST /slack").stream()
                .anyMatch(l -> l.contains("{\"text\":\":red_circle: web is down (status)")));
        await("ntfy got it, as ntfy takes it: text body, title, priority and tags as headers, the access token",
                Duration.ofSeconds(10), () -> requests("POST /ntfy").stream().anyMatch(l -> l.startsWith(
                        "POST /ntfy auth=Bearer ntfy-token-for-tests title=[edgestack] web is DOWN priority=high"
                        + " tags=rotating_light type=text/plain; charset=utf-8 :red_circle: web is down (status)")));
        await("discord got it", Duration.ofSeconds(10), () -> requests("POST /discord").stream()
                .anyMatch(l -> l.contains("{\"content\":\":red_circle: web is down (status)")));
        await("telegram got it: the bot's token in the Bot API's path, the chat id in the message", Duration.ofSeconds(10),
                () -> requests("POST /telegram/bot123456:test-bot-token/sendMessage").stream().anyMatch(l -> l.contains(
                        "{\"chat_id\":\"-100200300\",\"text\":\":red_circle: web is down (status)")));
        await("gotify got it: the application token as X-Gotify-Key, a high priority", Duration.ofSeconds(10),
                () -> requests("POST /gotify/message").stream().anyMatch(l -> l.contains("key=gotify-app-token {\"title\":"
                        + "\"[edgestack] web is DOWN\",\"message\":\":red_circle: web is down (status)") && l.contains("\"priority\":8}")));
        await("pushover got it: the application token and user key in the message, a high priority", Duration.ofSeconds(10),
                () -> requests("POST /pushover/1/messages.json").stream().anyMatch(l -> l.contains("\"title\":\"[edgestack] web is "
                        + "DOWN\",\"message\":\":red_circle: web is down (status)") && l.contains("\"priority\":1,\"token\":"
                        + "\"pushoverAppToken\",\"user\":\"pushoverUserKey\"}")));
        await("matrix got it: PUT to the room with a transaction id, the access token as bearer", Duration.ofSeconds(10),
                () -> requests("PUT /matrix/_matrix/client/v3/rooms/!ops:example.test/send/m.room.message/edgestack-").stream()
                        .anyMatch(l -> l.contains("auth=Bearer matrix-access-token {\"msgtype\":\"m.text\",\"body\":"
                                + "\":red_circle: web is down (status)")));
        await("pagerduty got a trigger keyed to the incident, with the routing key", Duration.ofSeconds(10),
                () -> requests("POST /pagerduty/v2/enqueue").stream().anyMatch(l -> l.contains("{\"event_action\":\"trigger\","
                        + "\"dedup_key\":\"edgestack:web:") && l.contains("\"routing_key\":\"pagerduty-routing-key\"}")));

        await("the opened alert arrives by email", Duration.ofSeconds(15), () -> mails().stream()
                .anyMatch(m -> m.startsWith("[edgestack] web is DOWN|") && m.contains("rolled back to")));

        targets().flag("site-down", false);
        await("web is up again", Duration.ofSeconds(15), () -> "up".equals(check("web").getString("state")));
        JsonPath resolved = given().get("/api/incidents?check=web").jsonPath();
        assertTrue(resolved.getString("[0].endedAt") != null, resolved.prettify());
        await("the resolved alert reaches the webhook", Duration.ofSeconds(10), () -> requests("POST /hook").stream()
                .anyMatch(l -> l.contains("\"kind\":\"incident.resolved\"") && l.contains("\"check\":\"web\"")));
        String dedup = requests("POST /pagerduty/v2/enqueue").stream().filter(l -> l.contains("\"event_action\":\"trigger\""))
                .reduce((a, b) -> b).orElseThrow().replaceAll(".*\"dedup_key\":\"([^\"]+)\".*", "$1");
        await("pagerduty got the resolve of the same alert", Duration.ofSeconds(10), () -> requests("POST /pagerduty/v2/enqueue")
                .stream().anyMatch(l -> l.contains("{\"event_action\":\"resolve\",\"dedup_key\":\"" + dedup + "\"")));
        assertEquals(0, given().header("Authorization", AUTH).get("/api/alerts?status=retrying").jsonPath().getList("$").size());
    }

    /** Subjects and bodies ("subject|body") of the mails in ops@example.test's mailbox, read over POP3. */
    private static List<String> mails() {
        java.util.Properties properties = new java.util.Properties();
        properties.put("mail.pop3.host", "127.0.0.1");
        properties.put("mail.pop3.port", System.getProperty("test.monitor.pop3"));
        try {
            jakarta.mail.Store store = jakarta.mail.Session.getInstance(properties).getStore("pop3");
            store.connect("ops", MonitorTestResource.MAIL_PASSWORD);
            try {
                jakarta.mail.Folder inbox = store.getFolder("INBOX");
                inbox.open(jakarta.mail.Folder.READ_ONLY);
                List<String> out = new java.util.ArrayList<>();
                for (jakarta.mail.Message message : inbox.getMessages()) {
                    out.add(message.getSubject() + "|" + String.valueOf(message.getContent()).trim());
                }
                inbox.close(false);
                return out;
            } finally {
                store.close();
            }
        } catch (Exception e) {
            throw new IllegalStateException("POP3: " + e.getMessage(), e);
        }
    }

    @Test
    void anIncidentNamesTheFailedLayerAndAStaleCopyRaisesAnAlertThoughVisitorsGet200() throws Exception {
        await("edge is up", Duration.ofSeconds(10), () -> "up".equals(check("edge").getString("state")));
        int hooks = requests("POST /hook").size();
        int tunnelDeployCalls = requests("POST /api/incidents").size();
        targets().flag("tunnel-down", true);
        try {
            await("edge is down", Duration.ofSeconds(10), () -> "down".equals(check("edge").getString("state")));
        } finally {
            targets().flag("tunnel-down", false);
        }
        JsonPath incident = given().get("/api/incidents?check=edge").jsonPath();
        assertEquals("status", incident.getString("[0].cause"));
        assertEquals("tunnel", incident.getString("[0].layer"), incident.prettify());
        await("the alert names the layer", Duration.ofSeconds(10), () -> requests("POST /hook").stream().skip(hooks)
                .anyMatch(l -> l.contains("incident.opened") && l.contains("\"check\":\"edge\"")
                        && l.contains("\"layer\":\"tunnel\"") && l.contains("failed layer: tunnel")
                        && l.contains("no rollback: the tunnel layer failed, not the release")));
        assertTrue(requests("POST /api/incidents").stream().skip(tunnelDeployCalls).noneMatch(l -> l.contains("edge-site")),
                "a failed tunnel is not the release's fault: no rollback asked");
        await("edge is up again", Duration.ofSeconds(10), () -> "up".equals(check("edge").getString("state")));

        int deployCalls = requests("POST /api/incidents").size();
        int staleHooks = requests("POST /hook").size();
        targets().flag("origin-down", true);
        try {
            await("edge is degraded", Duration.ofSeconds(10), () -> "degraded".equals(check("edge").getString("state")));
            JsonPath edge = check("edge");
            assertEquals(200, edge.getInt("last.status"), "visitors get 200");
            assertTrue(edge.getBoolean("last.ok"), edge.prettify());
            assertEquals("stale", edge.getString("last.cause"));
            await("a stale incident opens", Duration.ofSeconds(10), () -> "stale".equals(
                    given().get("/api/incidents?check=edge").jsonPath().getString("[0].cause")));
            JsonPath stale = given().get("/api/incidents?check=edge").jsonPath();
            assertEquals("origin", stale.getString("[0].layer"));
            assertTrue(stale.getString("[0].summary").contains("stale copy: the origin failed (origin-unreachable (502))"),
                    stale.getString("[0].summary"));
            await("the stale alert is sent", Duration.ofSeconds(10), () -> requests("POST /hook").stream().skip(staleHooks)
                    .anyMatch(l -> l.contains("incident.opened") && l.contains("served from the cache's stale copy")));
            String metrics = given().get(management + "metrics").then().statusCode(200).extract().asString();
            assertTrue(metrics.contains("edgestack_monitor_check_stale{check=\"edge\"} 1.0"), metrics);
            assertTrue(metrics.contains("edgestack_monitor_check_success{check=\"edge\"} 1.0"), metrics);
            String html = given().get("/").then().statusCode(200).extract().asString();
            assertTrue(html.contains("1 served from the cache, origin failing") && html.contains("failed layer: origin")
                    && html.contains("<span class=\"state degraded\">degraded</span>"), html);
        } finally {
            targets().flag("origin-down", false);
        }
        await("edge is served fresh again", Duration.ofSeconds(10), () -> "up".equals(check("edge").getString("state")));
        await("the stale incident is resolved", Duration.ofSeconds(10), () -> given().get("/api/incidents?check=edge")
                .jsonPath().getString("[0].endedAt") != null);
        assertTrue(requests("POST /api/incidents").stream().skip(deployCalls).noneMatch(l -> l.contains("edge-site")),
                "a stale copy is the origin application's failure, not the release's: no rollback asked");
    }

    @Inject
    io.vertx.core.eventbus.EventBus bus;

    @Inject
    io.vertx.core.Vertx vertx;

    @Test
    void badgesShowAChecksStateUptimeAndResponseAsSvg() throws Exception {
        await("web is up", Duration.ofSeconds(15), () -> "up".equals(check("web").getString("state")));
        io.restassured.response.Response status = given().get("/api/badge/web/status");
        assertEquals(200, status.statusCode());
        assertTrue(status.contentType().startsWith("image/svg+xml"), status.contentType());
        assertEquals("no-cache, max-age=0", status.header("Cache-Control"));
        String svg = status.asString();
        assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.contains("<title>web: up</title>")
                && svg.contains("fill=\"#2e9e44\""), svg);
        String uptime = given().get("/api/badge/web/uptime?days=7").then().statusCode(200).extract().asString();
        assertTrue(uptime.matches(".*<title>uptime 7d: [0-9]+\\.[0-9]{2}%</title>.*"), uptime);
        String response = given().get("/api/badge/web/response").then().statusCode(200).extract().asString();
        assertTrue(response.matches(".*<title>response: [0-9]+ ms</title>.*"), response);
        // a label of the page's own, escaped; an unknown check: a grey badge that still renders
        String labelled = given().queryParam("label", "<b>site & \"co\"").get("/api/badge/web/status").then().statusCode(200).extract().asString();
        assertTrue(labelled.contains("<title>&lt;b&gt;site &amp; &quot;co&quot;: up</title>") && !labelled.contains("<b>"), labelled);
        String unknown = given().get("/api/badge/nothing-here/status").then().statusCode(404)
                .contentType(org.hamcrest.Matchers.startsWith("image/svg+xml")).extract().asString();
        assertTrue(unknown.contains("<title>check: not found</title>"), unknown);
        // a days that is no number: a badge that says so (an empty 404 before, as if the check did not exist)
        String invalid = given().get("/api/badge/web/uptime?days=week").then().statusCode(400)
                .contentType(org.hamcrest.Matchers.startsWith("image/svg+xml")).extract().asString();
        assertTrue(invalid.contains("<title>uptime: invalid days</title>"), invalid);
    }

    @Test
    void aTunnelLeftWithoutConnectorIsCheckedAtOnceNamedInItsIncidentAndCheckedAgainWhenItIsBack() throws Exception {
        // "tunneled" runs hourly: every run after its first comes from the edge's events
        await("tunneled ran once", Duration.ofSeconds(10), () -> "up".equals(check("tunneled").getString("state")));
        int runs = requests("GET /tunneled").size();
        int hooks = requests("POST /hook").size();
        targets().flag("tunneled-down", true);
        try {
            bus.publish("tunnel.connector.down", "not json at all");
            bus.publish("tunnel.connector.down", new io.vertx.core.json.JsonObject().put("version", 1).put("tunnel", "site"));
            // another tunnel, and a connection of this one that leaves others: nothing to check
            bus.publish("tunnel.connector.down", new io.vertx.core.json.JsonObject().put("version", 1).put("tunnel", "other")
                    .put("connections", 0).put("reason", "closed by the connector"));
            bus.publish("tunnel.connector.down", new io.vertx.core.json.JsonObject().put("version", 1).put("tunnel", "site")
                    .put("connections", 1).put("reason", "heartbeats missed"));
            Thread.sleep(1500);
            assertEquals(runs, requests("GET /tunneled").size(), "not run for another tunnel or a tunnel still connected");
            assertEquals(List.of("other"), given().get("/api/status").jsonPath().getList("tunnelsDown.tunnel"));

            bus.publish("tunnel.connector.down", new io.vertx.core.json.JsonObject().put("version", 1)
                    .put("at", "2026-12-06T16:40:12.345Z").put("tunnel", "site").put("connection", "c-2").put("replica", "r-1")
                    .put("connections", 0).put("reason", "heartbeats missed").put("somethingNew", true));
            await("tunneled is down at once", Duration.ofSeconds(10), () -> "down".equals(check("tunneled").getString("state")));
            JsonPath incident = given().get("/api/incidents?check=tunneled").jsonPath();
            assertEquals("tunnel", incident.getString("[0].layer"), incident.prettify());
            assertEquals("tunnel site has no connector since 16:40:12 UTC (heartbeats missed)", incident.getString("[0].note"));
            assertEquals(List.of("other", "site"), given().get("/api/status").jsonPath().getList("tunnelsDown.tunnel"));
            assertTrue(given().get("/").asString().contains("Tunnel site has no connector since 16:40:12 UTC (heartbeats missed)"));
            await("the alert names the tunnel", Duration.ofSeconds(10), () -> requests("POST /hook").stream().skip(hooks)
                    .anyMatch(l -> l.contains("\"check\":\"tunneled\"") && l.contains("incident.opened")
                            && l.contains("tunnel site has no connector since 16:40:12 UTC")));

            targets().flag("tunneled-down", false);
            bus.publish("tunnel.connector.up", new io.vertx.core.json.JsonObject().put("version", 1).put("tunnel", "site")
                    .put("connection", "c-3").put("connections", 1));
            await("tunneled is up at once", Duration.ofSeconds(10), () -> "up".equals(check("tunneled").getString("state")));
            assertEquals(List.of("other"), given().get("/api/status").jsonPath().getList("tunnelsDown.tunnel"));
            assertTrue(!given().get("/").asString().contains("Tunnel site has no connector"));
        } finally {
            targets().flag("tunneled-down", false);
            bus.publish("tunnel.connector.up", new io.vertx.core.json.JsonObject().put("version", 1).put("tunnel", "other")
                    .put("connections", 1));
            bus.publish("tunnel.connector.up", new io.vertx.core.json.JsonObject().put("version", 1).put("tunnel", "site")
                    .put("connections", 1));
        }
    }

    @Test
    void theStatusPageHasItsTitleSectionsAndAnnouncements() {
        String page = given().get("/").then().statusCode(200).extract().asString();
        assertTrue(page.contains("<title>Example status — ") && page.contains("<h1>Example status</h1>"), page);
        assertTrue(page.contains("<p class=\"description\">Everything that serves example.test</p>"), page);
        int section = page.indexOf("<h2 class=\"group\">Infrastructure</h2>");
        assertTrue(section > 0 && page.indexOf("id=\"check-port\"") > section && page.indexOf("id=\"check-web\"") < section,
                "port in its group's section, web (no group) before the sections");
        assertEquals("Infrastructure", given().get("/api/status").jsonPath().getString("checks.find { it.name == 'port' }.group"));

        String note = "{\"title\":\"Planned database upgrade\",\"body\":\"Sunday 02:00 UTC, <b>5 minutes</b>\",\"style\":\"warning\"}";
        given().contentType("application/json").body(note).post("/api/announcements").then().statusCode(401);
        given().header("Authorization", AUTH).contentType("application/json")
                .body("{\"title\":\"x\",\"style\":\"purple\"}").post("/api/announcements").then().statusCode(400);
        given().header("Authorization", AUTH).contentType("application/json").body("{\"body\":\"no title\"}")
                .post("/api/announcements").then().statusCode(400);
        long id = given().header("Authorization", AUTH).contentType("application/json").body(note).post("/api/announcements")
                .then().statusCode(201).extract().jsonPath().getLong("id");
        page = given().get("/").asString();
        assertTrue(page.contains("<div class=\"announcement warning\"><strong>Planned database upgrade</strong>"), page);
        assertTrue(page.contains("Sunday 02:00 UTC, &lt;b&gt;5 minutes&lt;/b&gt;"), "escaped: " + page);
        assertEquals("Planned database upgrade", given().get("/api/announcements").jsonPath().getString("[0].title"));
        assertEquals("warning", given().get("/api/status").jsonPath().getString("announcements[0].style"));
        given().delete("/api/announcements/" + id).then().statusCode(401);
        given().header("Authorization", AUTH).delete("/api/announcements/" + id).then().statusCode(204);
        given().header("Authorization", AUTH).delete("/api/announcements/" + id).then().statusCode(404);
        assertTrue(!given().get("/").asString().contains("Planned database upgrade"));
    }

    @Test
    void aCheckKeptOffTheStatusPageIsSeenOnlyWithTheApiToken() {
        assertTrue(!given().get("/").asString().contains("internal-db"), "not on the status page");
        assertTrue(!given().get("/api/status").jsonPath().getList("checks.name").contains("internal-db"), "nor in the public API");
        assertTrue(given().header("Authorization", AUTH).get("/api/status").jsonPath().getList("checks.name").contains("internal-db"));
        assertTrue(given().header("Authorization", AUTH).get("/api/checks").jsonPath().getList("name").contains("internal-db"));
        given().get("/api/badge/internal-db/status").then().statusCode(404).body(containsString("not found"));
        given().get("/api/incidents?check=internal-db").then().statusCode(200).body("size()", equalTo(0));
        given().get("/api/badge/port/status").then().statusCode(200);
    }

    @Test
    void deployEventsReachTheChannelsThatTakeThem() throws Exception {
        int hooks = requests("POST /hook").size();
        int chats = requests("POST /slack").size();
        int team = requests("POST /discord").size();
        bus.publish("deploy.failed", new io.vertx.core.json.JsonObject().put("version", 1).put("site", "blog")
                .put("deployment", 41).put("stage", "build").put("reason", "exited with status 1: npm ERR! missing script: build")
                .put("liveRelease", "20261125T040000.000Z-ccccccc").put("trigger", "github"));
        await("the failed deploy reaches the webhook (deploys: all)", Duration.ofSeconds(10), () -> requests("POST /hook")
                .stream().skip(hooks).anyMatch(l -> l.contains("\"kind\":\"deploy-failed\"")
                        && l.contains(":x: Deploy #41 of blog failed at build: exited with status 1: npm ERR! missing script: build")));
        await("and Slack (deploys: failed)", Duration.ofSeconds(10), () -> requests("POST /slack").stream().skip(chats)
                .anyMatch(l -> l.contains("{\"text\":\":x: Deploy #41 of blog failed at build")));
        bus.publish("deploy.completed", new io.vertx.core.json.JsonObject().put("version", 1).put("site", "blog")
                .put("deployment", 42).put("release", "20261125T050000.000Z-ddddddd").put("changedFiles", 3));
        await("the release that went live reaches the webhook", Duration.ofSeconds(10), () -> requests("POST /hook").stream()
                .skip(hooks).anyMatch(l -> l.contains(":rocket: blog is live as 20261125T050000.000Z-ddddddd (deploy #42, 3 file(s) changed)")));
        bus.publish("deploy.failed", "not an event");
        bus.publish("deploy.failed", new io.vertx.core.json.JsonObject().put("version", 1).put("stage", "build"));
        Thread.sleep(1500);
        assertTrue(requests("POST /slack").stream().skip(chats).noneMatch(l -> l.contains(":rocket:")), "Slack takes failures only");
        assertEquals(team, requests("POST /discord").size(), "a channel without deploys: none of them");
        JsonPath alerts = given().header("Authorization", AUTH).get("/api/alerts").jsonPath();
        assertTrue(alerts.getList("findAll { it.kind == 'deploy-failed' }.channel").containsAll(List.of("hook", "chat")),
                alerts.prettify());
    }

    @Test
    void aDeployOfASiteMakesItsChecksRunFasterForTheWatchWindow() throws Exception {
        assertEquals(3600.0, check("shop").getDouble("currentIntervalSeconds"));
        bus.publish("deploy.completed", "this is not an event");
        bus.publish("deploy.completed", new io.vertx.core.json.JsonObject().put("version", 1).put("release", "r2"));
        bus.publish("deploy.completed", new io.vertx.core.json.JsonObject().put("version", 1).put("site", "shop")
                .put("release", "20261125T040000.000Z-ccccccc").put("previousRelease", "20261124T040000.000Z-bbbbbbb")
                .put("somethingNew", List.of(1, 2)));
        await("shop is watched", Duration.ofSeconds(5), () -> check("shop").getDouble("currentIntervalSeconds") == 1.0);
        assertEquals(1.0, check("web").getDouble("currentIntervalSeconds"), "a check of another site keeps its own");
        assertEquals(3600.0, check("port").getDouble("currentIntervalSeconds"), 3599.0);
        JsonPath status = given().get("/api/status").jsonPath();
        assertEquals("20261125T040000.000Z-ccccccc", status.getString("watching.find { it.site == 'shop' }.release"));
        assertTrue(given().get("/").asString().contains("Deploy of shop (release 20261125T040000.000Z-ccccccc) is being watched"));
        int before = requests("GET /shop").size();
        Thread.sleep(4000);
        int during = requests("GET /shop").size() - before;
        assertTrue(during >= 2, "checked every second while watched: " + during + " runs in 4 s");
        // Status pages and API readers around the moment the window closes (the 6 s window opened about 4.2 s ago): a
        // read that saw the window over before its timer ran once took the watch away, and the checks stayed at the
        // watch interval for good.
        java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<Thread> readers = new java.util.ArrayList<>();
        for (String path : List.of("/api/status", "/api/status", "/")) {
            Thread reader = new Thread(() -> {
                while (reading.get()) {
                    given().get(path).then().statusCode(200);
                }
            });
            reader.start();
            readers.add(reader);
        }
        try {
            await("the watch window ends", Duration.ofSeconds(10),
                    () -> check("shop").getDouble("currentIntervalSeconds") == 3600.0);
            Thread.sleep(300);
        } finally {
            reading.set(false);
            for (Thread reader : readers) {
                reader.join();
            }
        }
        // A run already under way when the window closed may still land: at most two in 5 s (at the watch interval
        // there would be five).
        int after = requests("GET /shop").size();
        Thread.sleep(5000);
        int later = requests("GET /shop").size() - after;
        assertTrue(later <= 2, "back to its own interval after the window: " + later + " runs in 5 s");
    }

    @Test
    void maintenanceSuppressesAlertsButKeepsRecording() throws Exception {
        await("web is up", Duration.ofSeconds(15), () -> "up".equals(check("web").getString("state")));
        String window = given().header("Authorization", AUTH).contentType("application/json")
                .body("{\"site\":\"example\",\"minutes\":5,\"reason\":\"deploying\"}").post("/api/maintenance").then()
                .statusCode(201).extract().jsonPath().getString("id");
        int incidents = given().get("/api/incidents?check=web").jsonPath().getList("$").size();
        try {
            targets().flag("site-down", true);
            await("web is down", Duration.ofSeconds(15), () -> "down".equals(check("web").getString("state")));
            targets().flag("site-down", false);
            await("web is up", Duration.ofSeconds(15), () -> "up".equals(check("web").getString("state")));
        } finally {
            given().header("Authorization", AUTH).delete("/api/maintenance/" + window).then().statusCode(204);
        }
        assertEquals(incidents + 1, given().get("/api/incidents?check=web").jsonPath().getList("$").size(), "recorded");
        JsonPath suppressed = given().header("Authorization", AUTH).get("/api/alerts?status=suppressed").jsonPath();
        assertTrue(suppressed.getList("kind").contains("opened") && suppressed.getList("kind").contains("resolved"),
                suppressed.prettify());
    }

    @Test
    void aDeploysOwnWindowHoldsItsSitesIncidentsUntilItClosesAndARecoveryInsideItOpensNone() throws Exception {
        await("web is up", Duration.ofSeconds(15), () -> "up".equals(check("web").getString("state")));
        int incidents = given().get("/api/incidents?check=web").jsonPath().getList("$").size();
        io.vertx.core.json.JsonObject window = new io.vertx.core.json.JsonObject().put("version", 1).put("id", "deploy-example")
                .put("site", "example").put("minutes", 5).put("reason", "Deploying r9 on example").put("holdIncidents", true);
        io.vertx.core.json.JsonObject ended = new io.vertx.core.json.JsonObject().put("version", 1).put("id", "deploy-example");
        try {
            // The app restarts inside the switch (the post-switch command): failing for a while, then fine again.
            bus.publish("maintenance.started", window);
            await("the window is open", Duration.ofSeconds(5), () -> given().get("/api/status").jsonPath()
                    .getList("maintenance.id").contains("deploy-example"));
            targets().flag("site-down", true);
            Thread.sleep(4000); // 4 runs at 1 s, 2 failures make an incident outside a held window
            assertEquals(incidents, given().get("/api/incidents?check=web").jsonPath().getList("$").size(),
                    "no incident inside the deploy's own window");
            targets().flag("site-down", false);
            await("web answers again inside the window", Duration.ofSeconds(10),
                    () -> "up".equals(check("web").getString("state")));
            bus.publish("maintenance.ended", ended);
            Thread.sleep(3000);
            assertEquals(incidents, given().get("/api/incidents?check=web").jsonPath().getList("$").size(),
                    "recovered before the window closed: no incident at all");

            // Still failing when the window closes: the incident opens right after it.
            bus.publish("maintenance.started", window);
            await("the window is open again", Duration.ofSeconds(5), () -> given().get("/api/status").jsonPath()
                    .getList("maintenance.id").contains("deploy-example"));
            targets().flag("site-down", true);
            Thread.sleep(3000);
            assertEquals(incidents, given().get("/api/incidents?check=web").jsonPath().getList("$").size());
            bus.publish("maintenance.ended", ended);
            await("the incident opens once the window has closed", Duration.ofSeconds(10),
                    () -> given().get("/api/incidents?check=web").jsonPath().getList("$").size() == incidents + 1);
        } finally {
            targets().flag("site-down", false);
            bus.publish("maintenance.ended", ended);
        }
        await("web is up again", Duration.ofSeconds(15), () -> "up".equals(check("web").getString("state")));
    }

    @Test
    void maintenanceEventsOpenAndCloseAWindowAndMalformedOnesAreDropped() throws Exception {
        bus.publish("maintenance.started", "not json at all");
        bus.publish("maintenance.started", new io.vertx.core.json.JsonObject().put("version", 1).put("minutes", "ten"));
        bus.publish("maintenance.started", new io.vertx.core.json.JsonObject().put("version", 1).put("id", "switch-7")
                .put("site", "shop").put("minutes", 2).put("reason", "deploying").put("unknownField", true));
        await("the window is open", Duration.ofSeconds(5), () -> given().get("/api/status").jsonPath()
                .getList("maintenance.id").contains("switch-7"));
        assertEquals(1, given().get("/api/status").jsonPath().getList("maintenance").size(), "only the valid event opened one");
        assertTrue(given().get("/").asString().contains("Deploying in progress on shop"));
        bus.publish("maintenance.ended", new io.vertx.core.json.JsonObject().put("version", 1).put("id", "switch-7"));
        await("the window is closed", Duration.ofSeconds(5), () -> given().get("/api/status").jsonPath()
                .getList("maintenance").isEmpty());
        // a site put in maintenance (bin/edgestack maintenance): its message, with no end time (it has none)
        bus.publish("maintenance.started", new io.vertx.core.json.JsonObject().put("version", 1).put("id", "maintenance-shop")
                .put("site", "shop").put("minutes", 10080).put("reason", "Moving to a new disk.").put("holdIncidents", true));
        await("the site's window is open", Duration.ofSeconds(5), () -> given().get("/").asString()
                .contains("Maintenance on shop: Moving to a new disk."));
        assertFalse(given().get("/").asString().contains("Moving to a new disk. in progress"));
        bus.publish("maintenance.ended", new io.vertx.core.json.JsonObject().put("version", 1).put("id", "maintenance-shop"));
        await("and closed", Duration.ofSeconds(5), () -> given().get("/api/status").jsonPath().getList("maintenance").isEmpty());
    }

    @Test
    void certificateExpiringSoonFailsTheTlsCheckAndTcpPortIsUp() throws Exception {
        await("cert check ran", Duration.ofSeconds(10), () -> check("cert").getString("last.cause") != null);
        JsonPath cert = check("cert");
        assertEquals("tls", cert.getString("last.cause"));
        assertTrue(cert.getString("last.summary").contains("CN=soon.example.test expires in"), cert.getString("last.summary"));
        assertTrue(cert.getInt("last.certDaysLeft") <= 5);
        await("port up", Duration.ofSeconds(10), () -> "up".equals(check("port").getString("state")));
        String metrics = given().get(management + "metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("edgestack_monitor_check_cert_expiry_days{check=\"cert\""), metrics);
        assertTrue(metrics.contains("edgestack_monitor_check_success{check=\"port\""), metrics);
        assertTrue(metrics.contains("edgestack_monitor_check_http_status{check=\"web\""), metrics);
        assertTrue(metrics.contains("edgestack_monitor_schedule_drift_seconds{quantile=\"0.99\"}"), metrics);
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("edgestack_monitor_schedule_drift_seconds_count")
                && Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) > 5), "scheduled runs are measured");
    }

    @Test
    void pushCheckIsDownWhenTheJobStopsPinging() throws Exception {
        given().post("/api/push/job?token=wrong-token-wrong-token").then().statusCode(404);
        given().post("/api/push/nope?token=x").then().statusCode(404);
        for (int i = 0; i < 3; i++) {
            given().post("/api/push/job?token=" + MonitorTestResource.PUSH_TOKEN).then().statusCode(200);
            Thread.sleep(700);
        }
        assertTrue(!"down".equals(check("job").getString("state")), check("job").prettify());
        await("job is down", Duration.ofSeconds(15), () -> "down".equals(check("job").getString("state")));
        assertEquals("missed-push", check("job").getString("last.cause"));
        assertTrue(check("job").getString("last.summary").contains("expected every 2 s"));
        given().get("/api/push/job?token=" + MonitorTestResource.PUSH_TOKEN).then().statusCode(200);
        await("job is up", Duration.ofSeconds(15), () -> "up".equals(check("job").getString("state")));
    }

    /**
     * An Uptime Kuma push URL works once its host and path are changed: {@code status=down} (a job that failed says so)
     * makes the check down at once with cause {@code reported} and the job's {@code msg}; {@code status=up} with
     * {@code msg} and {@code ping} brings it back (every heartbeat counted as up before, status=down included).
     */
    @Test
    void pushCheckTakesUptimeKumasStatusMessageAndPing() throws Exception {
        java.util.function.Function<String[], io.restassured.specification.RequestSpecification> push = params -> {
            var request = given().queryParam("token", MonitorTestResource.PUSH_TOKEN);
            for (int i = 0; i < params.length; i += 2) {
                request.queryParam(params[i], params[i + 1]);
            }
            return request;
        };
        push.apply(new String[] {"status", "up"}).get("/api/push/job").then().statusCode(200);
        await("job is up", Duration.ofSeconds(15), () -> "up".equals(check("job").getString("state")));
        push.apply(new String[] {"status", "down", "msg", "backup failed: disk full"}).get("/api/push/job").then().statusCode(200);
        await("job is down", Duration.ofSeconds(5), () -> "down".equals(check("job").getString("state")));
        assertEquals("reported", check("job").getString("last.cause"));
        assertTrue(check("job").getString("last.summary").contains("backup failed: disk full"), check("job").prettify());
        push.apply(new String[] {"status", "sideways"}).get("/api/push/job").then().statusCode(400)
                .body("detail", containsString("'up' or 'down'"));
        push.apply(new String[] {"ping", "soon"}).get("/api/push/job").then().statusCode(400);
        push.apply(new String[] {"status", "up", "msg", "OK", "ping", "12.4"}).post("/api/push/job").then().statusCode(200);
        await("job is up again", Duration.ofSeconds(15), () -> "up".equals(check("job").getString("state")));
        assertTrue(check("job").getString("last.summary").endsWith(": OK"), check("job").prettify());
        assertEquals(12, check("job").getInt("last.latencyMs"), check("job").prettify());
        // Kuma's own URL form, the token as the path: only the host changes when a job moves here
        given().queryParam("status", "down").queryParam("msg", "from a Kuma URL")
                .get("/api/push/" + MonitorTestResource.PUSH_TOKEN).then().statusCode(200);
        await("job is down", Duration.ofSeconds(5), () -> "down".equals(check("job").getString("state")));
        assertTrue(check("job").getString("last.summary").contains("from a Kuma URL"), check("job").prettify());
        given().get("/api/push/not-a-token-of-any-check").then().statusCode(404);
        given().queryParam("status", "up").get("/api/push/" + MonitorTestResource.PUSH_TOKEN).then().statusCode(200);
        await("job is up again", Duration.ofSeconds(15), () -> "up".equals(check("job").getString("state")));
    }

    @TestHTTPResource("/")
    URL page;

    @Test
    void statusPageRendersInARealBrowser() throws Exception {
        await("web is up", Duration.ofSeconds(15), () -> "up".equals(check("web").getString("state")));
        String html = given().get("/").then().statusCode(200).contentType(containsString("text/html")).extract().asString();
        assertTrue(!html.contains("http://") || !html.matches("(?s).*(src|href)=\"https?://.*"), "no asset from elsewhere");
        Path profile = java.nio.file.Files.createTempDirectory("chromium-profile");
        Path shot = profile.resolve("status.png");
        List<String> flags = List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=1000,1600", "--hide-scrollbars");
        String dom = chromium(flags, "--dump-dom", page.toString());
        assertTrue(dom.contains("id=\"check-web\""), dom);
        int sections = dom.split("class=\"check\"", -1).length - 1;
        int bars = dom.split("<span class=\"(up|partial|down|none)\" title=", -1).length - 1;
        assertEquals(sections * 90, bars, "90 daily bars per check (" + sections + " checks)");
        chromium(flags, "--screenshot=" + shot, page.toString());
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(shot.toFile());
        assertEquals(1000, image.getWidth());
        int green = 0;
        int blue = 0;
        java.util.Set<Integer> colours = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                if (near(rgb, 0x1f9d55)) {
                    green++;
                }
                if (near(rgb, 0x3b6fd8)) {
                    blue++;
                }
            }
        }
        assertTrue(colours.size() > 20, "a rendered page, not a blank one: " + colours.size() + " colours");
        assertTrue(green > 50, "the up state and today's uptime bar are drawn in green: " + green + " pixels");
        assertTrue(blue > 20, "the response-time chart is drawn: " + blue + " pixels");
    }

    private static boolean near(int rgb, int target) {
        int dr = Math.abs((rgb >> 16 & 0xff) - (target >> 16 & 0xff));
        int dg = Math.abs((rgb >> 8 & 0xff) - (target >> 8 & 0xff));
        int db = Math.abs((rgb & 0xff) - (target & 0xff));
        return dr + dg + db < 40;
    }

    private static String chromium(List<String> flags, String... args) throws Exception {
        String binary = java.nio.file.Files.isExecutable(Path.of("/usr/bin/chromium")) ? "/usr/bin/chromium" : "chromium";
        List<String> command = new java.util.ArrayList<>(List.of(binary));
        command.addAll(flags);
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "chromium finished");
        assertEquals(0, process.exitValue(), "chromium " + String.join(" ", args));
        return out;
    }

    @Test
    void checksAreAddedAndRemovedThroughTheApiWithClearErrors() throws Exception {
        given().contentType("application/json").body(Map.of("name", "x", "url", "http://127.0.0.1:1/")).post("/api/checks")
                .then().statusCode(401);
        given().header("Authorization", AUTH).contentType("application/json").body(Map.of("name", "bad", "url", "htp://x"))
                .post("/api/checks").then().statusCode(400)
                .body("detail", equalTo("bad.url: 'htp://x' is not an http:// or https:// URL with a host"));
        given().header("Authorization", AUTH).contentType("application/json")
                .body(Map.of("name", "bad", "url", "http://x/", "interval", "500ms")).post("/api/checks").then()
                .statusCode(400).body("detail", containsString("bad.interval: 500 ms is below the minimum of 1s"));
        given().header("Authorization", AUTH).contentType("application/json").body(Map.of("name", "web", "url", "http://x/"))
                .post("/api/checks").then().statusCode(409);
        given().header("Authorization", AUTH).contentType("application/json").body("{broken").post("/api/checks").then()
                .statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("The body is not valid JSON: Unexpected character ('b'"))
                .body("detail", containsString("(line 1, column 2)"));
        given().header("Authorization", AUTH).contentType("application/json").body("[1]")
                .post("/api/checks").then().statusCode(400).contentType("application/problem+json")
                .body("detail", containsString("The body's JSON does not fit: Cannot deserialize value of type"));
        // JSON's own lists for the list keys; anything else that is not a plain value is refused, naming the key
        // (a header's value was taken as the text of its JSON before: {"a":1})
        given().header("Authorization", AUTH).contentType("application/json")
                .body(Map.of("name", "listed", "url", "http://127.0.0.1:1/", "expected-status", List.of(200, "301-308")))
                .post("/api/checks").then().statusCode(201);
        given().header("Authorization", AUTH).delete("/api/checks/listed").then().statusCode(204);
        given().header("Authorization", AUTH).contentType("application/json")
                .body(Map.of("name", "bad", "url", "http://x/", "header-X-Token", Map.of("a", 1))).post("/api/checks").then()
                .statusCode(400).body("detail", equalTo("bad.header-X-Token: a string, number or boolean was expected, not {\"a\":1}"));
        given().header("Authorization", AUTH).contentType("application/json")
                .body(Map.of("name", "bad", "url", "http://x/", "alerts", List.of(List.of("ops")))).post("/api/checks").then()
                .statusCode(400).body("detail", equalTo("bad.alerts: a list of strings or numbers was expected, not [[\"ops\"]]"));
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        given().header("Authorization", AUTH).contentType("application/json")
                .body(Map.of("name", "closed", "type", "tcp", "host", "127.0.0.1", "port", closed, "interval", "1s"))
                .post("/api/checks").then().statusCode(201).body("fromApi", equalTo(true));
        await("closed port fails", Duration.ofSeconds(10), () -> "refused".equals(check("closed").getString("last.cause")));
        given().header("Authorization", AUTH).get("/api/checks/closed").then().statusCode(200)
                .body("name", equalTo("closed")).body("type", equalTo("tcp")).body("fromApi", equalTo(true));
        given().get("/api/checks/closed").then().statusCode(401);
        given().header("Authorization", AUTH).delete("/api/checks/closed").then().statusCode(204);
        given().header("Authorization", AUTH).get("/api/checks/closed").then().statusCode(404)
                .body("detail", equalTo("There is no check named 'closed'."));
        given().header("Authorization", AUTH).delete("/api/checks/web").then().statusCode(409);
        given().get("/api/incidents?limit=ten").then().statusCode(400).contentType("application/problem+json")
                .body("detail", equalTo("'limit' is a whole number of incidents (at most 1000), not 'ten'."));
        given().get("/api/incidents?limit=1").then().statusCode(200);
        assertTrue(given().get("/api/status").jsonPath().getList("checks.name").stream().noneMatch("closed"::equals));
    }
}
