package io.edgestack.monitor.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgestack.monitor.check.CheckSpec;

class ChannelsTest {

    private static String error(Map<String, String> settings) {
        return assertThrows(CheckSpec.Invalid.class, () -> Alerter.channel("ops", settings)).getMessage();
    }

    @Test
    void readsEveryKindOfChannelAndKeepsTheNtfyTokenOutOfItsText() {
        Alerter.Channel ntfy = Alerter.channel("ops", Map.of("type", "ntfy", "url", "https://ntfy.sh/edgestack-ops",
                "token", "tk_secret_token"));
        assertEquals("tk_secret_token", ntfy.token());
        assertFalse(ntfy.toString().contains("tk_secret_token"), ntfy.toString());
        assertEquals("discord", Alerter.channel("ops", Map.of("type", "discord", "url", "https://discord.test/api/webhooks/1/x")).type());
        assertEquals("webhook", Alerter.channel("ops", Map.of("url", "http://127.0.0.1:9/hook")).type());
        Alerter.Channel telegram = Alerter.channel("ops", Map.of("type", "telegram", "token", "123456:AAbb-secret_x",
                "chat-id", "-1001234"));
        assertEquals("https://api.telegram.org", telegram.url().toString());
        assertEquals(java.util.List.of("-1001234"), telegram.to());
        assertFalse(telegram.toString().contains("secret"), telegram.toString());
        Alerter.Channel gotify = Alerter.channel("ops", Map.of("type", "gotify", "url", "https://push.example.test",
                "token", "AbCgotifySecret"));
        assertFalse(gotify.toString().contains("gotifySecret"), gotify.toString());
    }

    @Test
    void aDeliveryErrorNeverCarriesTheToken() {
        // Vert.x names the request in a timeout, and a Telegram request's path holds the bot's token
        String error = "The timeout period of 10000ms has been exceeded while executing POST /bot123456:AAbb-secret_x/sendMessage"
                + " for server api.telegram.org:443";
        assertEquals("The timeout period of 10000ms has been exceeded while executing POST /bot<token>/sendMessage for server"
                + " api.telegram.org:443", Alerter.redacted(error, "123456:AAbb-secret_x"));
        assertEquals("HTTP 503: down", Alerter.redacted("HTTP 503: down", null));
    }

    @Test
    void errorsNameTheChannelAndTheKey() {
        assertEquals("edgestack.monitor.alerts.ops.type: 'pager' is not webhook, slack, discord, ntfy, gotify, telegram, pushover, "
                + "matrix, pagerduty or email",
                error(Map.of("type", "pager", "url", "http://x/")));
        assertEquals("edgestack.monitor.alerts.ops.token: unknown key (known: type, url, deploys)",
                error(Map.of("type", "slack", "url", "http://x/", "token", "t")));
        assertEquals("edgestack.monitor.alerts.ops.topic: unknown key (known: type, url, token, deploys)",
                error(Map.of("type", "ntfy", "url", "http://x/", "topic", "t")));
        assertEquals("edgestack.monitor.alerts.ops.url: 'ntfy.sh/ops' is not an http(s) URL",
                error(Map.of("type", "ntfy", "url", "ntfy.sh/ops")));
        assertEquals("edgestack.monitor.alerts.ops.token: not a bot token (<digits>:<letters>, from @BotFather)",
                error(Map.of("type", "telegram", "token", "not-a-token secret", "chat-id", "1")));
        assertEquals("edgestack.monitor.alerts.ops.chat-id: missing", error(Map.of("type", "telegram", "token", "1:a")));
        assertEquals("edgestack.monitor.alerts.ops.chat-id: 'me' is not a chat id (a number) or @channel",
                error(Map.of("type", "telegram", "token", "1:a", "chat-id", "me")));
        assertEquals("edgestack.monitor.alerts.ops.token: missing (the token of a Gotify application)",
                error(Map.of("type", "gotify", "url", "https://push.example.test")));
        assertEquals("edgestack.monitor.alerts.ops.deploys: 'some' is not none, failed or all",
                error(Map.of("type", "slack", "url", "http://x/", "deploys", "some")));
        assertEquals("edgestack.monitor.alerts.ops.to: unknown key (known: type, token, chat-id, url, deploys)",
                error(Map.of("type", "telegram", "token", "1:a", "chat-id", "1", "to", "x")));
    }

    @Test
    void pushoverMatrixAndPagerDutyChannelsAreReadAndTheirSecretsNeverRepeated() {
        Alerter.Channel pushover = Alerter.channel("ops", Map.of("type", "pushover", "token", "azGDORePK8gMaC0QOYAMyEEuzJnyUi",
                "user", "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"));
        assertEquals("https://api.pushover.net", pushover.url().toString());
        assertEquals(java.util.List.of("uQiRzpo4DXghDmr9QzzfQu27cmVRsG"), pushover.to());
        assertFalse(pushover.toString().contains("azGDO"), pushover.toString());
        Alerter.Channel matrix = Alerter.channel("ops", Map.of("type", "matrix", "url", "https://matrix.example.org/",
                "token", "syt_secret", "room", "!AbCd:example.org"));
        assertEquals("https://matrix.example.org", matrix.url().toString());
        assertEquals(java.util.List.of("!AbCd:example.org"), matrix.to());
        Alerter.Channel pager = Alerter.channel("ops", Map.of("type", "pagerduty", "token", "R0ut1ngKey0000000000000000000000"));
        assertEquals("https://events.pagerduty.com", pager.url().toString());
        assertFalse(pager.toString().contains("R0ut1ng"), pager.toString());

        assertEquals("edgestack.monitor.alerts.ops.token: missing (the API token of a Pushover application)",
                error(Map.of("type", "pushover", "user", "u1")));
        assertEquals("edgestack.monitor.alerts.ops.user: missing (the user or group key to notify)",
                error(Map.of("type", "pushover", "token", "t1")));
        assertEquals("edgestack.monitor.alerts.ops.token: not a token (the access token of the bot's Matrix account)",
                error(Map.of("type", "matrix", "url", "https://m.example.org", "token", "two words", "room", "!a:b")));
        assertEquals("edgestack.monitor.alerts.ops.url: missing (the homeserver, https://matrix.example.org)",
                error(Map.of("type", "matrix", "token", "t", "room", "!a:b")));
        assertEquals("edgestack.monitor.alerts.ops.room: '#ops:example.org' is not a room id (!abc123:example.org, in the "
                + "room's settings; the bot's account must have joined it)",
                error(Map.of("type", "matrix", "url", "https://m.example.org", "token", "t", "room", "#ops:example.org")));
        assertEquals("edgestack.monitor.alerts.ops.token: missing (the routing key of a PagerDuty Events API v2 integration)",
                error(Map.of("type", "pagerduty")));
        assertEquals("edgestack.monitor.alerts.ops.room: unknown key (known: type, token, url, deploys)",
                error(Map.of("type", "pagerduty", "token", "k", "room", "!a:b")));
    }

    @Test
    void pagerDutyTriggersAndResolvesOneAlertPerIncidentAndLogsDeploysAsChanges() {
        io.vertx.core.json.JsonObject opened = new io.vertx.core.json.JsonObject().put("kind", "incident.opened")
                .put("check", "web").put("incident", new io.vertx.core.json.JsonObject().put("id", 7));
        io.vertx.core.json.JsonObject trigger = Alerter.pagerDuty("[edgestack] web is DOWN", "web is down", true, opened);
        assertEquals("trigger", trigger.getString("event_action"));
        assertEquals("edgestack:web:7", trigger.getString("dedup_key"));
        assertEquals("critical", trigger.getJsonObject("payload").getString("severity"));
        io.vertx.core.json.JsonObject resolve = Alerter.pagerDuty("[edgestack] web is up again", "web is up", false,
                opened.copy().put("kind", "incident.resolved"));
        assertEquals("resolve", resolve.getString("event_action"));
        assertEquals("edgestack:web:7", resolve.getString("dedup_key"), "the same alert");
        io.vertx.core.json.JsonObject failed = Alerter.pagerDuty("deploy failed", "x", true, new io.vertx.core.json.JsonObject()
                .put("kind", "deploy-failed").put("site", "example").put("deployment", 12));
        assertEquals("edgestack:deploy:example:12", failed.getString("dedup_key"));
        assertEquals("error", failed.getJsonObject("payload").getString("severity"));
        io.vertx.core.json.JsonObject live = Alerter.pagerDuty("example is live", "x", false,
                new io.vertx.core.json.JsonObject().put("kind", "deploy-live"));
        assertTrue(live.getBoolean("change") && !live.containsKey("event_action"), live.encode());
    }
}
