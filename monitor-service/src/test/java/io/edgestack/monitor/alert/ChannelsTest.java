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
    }

    @Test
    void errorsNameTheChannelAndTheKey() {
        assertEquals("edgestack.monitor.alerts.ops.type: 'pager' is not webhook, slack, discord, ntfy or email",
                error(Map.of("type", "pager", "url", "http://x/")));
        assertEquals("edgestack.monitor.alerts.ops.token: unknown key (known: type, url)",
                error(Map.of("type", "slack", "url", "http://x/", "token", "t")));
        assertEquals("edgestack.monitor.alerts.ops.topic: unknown key (known: type, url, token)",
                error(Map.of("type", "ntfy", "url", "http://x/", "topic", "t")));
        assertEquals("edgestack.monitor.alerts.ops.url: 'ntfy.sh/ops' is not an http(s) URL",
                error(Map.of("type", "ntfy", "url", "ntfy.sh/ops")));
    }
}
