package io.edgestack.monitor.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        assertEquals("edgestack.monitor.alerts.ops.type: 'pager' is not webhook, slack, discord, ntfy, gotify, telegram or email",
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
}
