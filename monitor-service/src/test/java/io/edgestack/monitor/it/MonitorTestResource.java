package io.edgestack.monitor.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Starts the targets and points monitor-service at them; the folder goes to tests as {@code test.monitor.root}. */
public class MonitorTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String API_TOKEN = "monitor-api-token-for-tests";
    public static final String PUSH_TOKEN = "push-token-for-tests-123";

    public static final String MAIL_PASSWORD = "ops-password";

    private Targets targets;
    private GreenMail mail;

    @Override
    public Map<String, String> start() {
        try {
            Path root = Files.createTempDirectory("monitor-test-");
            System.setProperty("test.monitor.root", root.toString());
            targets = new Targets(root).start();
            String http = "http://127.0.0.1:" + targets.httpPort();
            Map<String, String> config = new HashMap<>();
            config.put("edgestack.monitor.api-token", API_TOKEN);
            config.put("edgestack.monitor.alert-retry-initial", "200ms");
            config.put("edgestack.monitor.deploy.url", http);
            config.put("edgestack.monitor.deploy.token", "deploy-token-for-tests");
            config.put("edgestack.monitor.alerts.hook.type", "webhook");
            config.put("edgestack.monitor.alerts.hook.url", http + "/hook");
            config.put("edgestack.monitor.alerts.chat.type", "slack");
            config.put("edgestack.monitor.alerts.chat.url", http + "/slack");
            config.put("edgestack.monitor.alerts.hook.deploys", "all");
            config.put("edgestack.monitor.alerts.chat.deploys", "failed");
            config.put("edgestack.monitor.alerts.phone.type", "ntfy");
            config.put("edgestack.monitor.alerts.phone.url", http + "/ntfy");
            config.put("edgestack.monitor.alerts.phone.token", "ntfy-token-for-tests");
            config.put("edgestack.monitor.alerts.team.type", "discord");
            config.put("edgestack.monitor.alerts.team.url", http + "/discord");
            config.put("edgestack.monitor.alerts.bot.type", "telegram");
            config.put("edgestack.monitor.alerts.bot.token", "123456:test-bot-token");
            config.put("edgestack.monitor.alerts.bot.chat-id", "-100200300");
            config.put("edgestack.monitor.alerts.bot.url", http + "/telegram");
            config.put("edgestack.monitor.alerts.home.type", "gotify");
            config.put("edgestack.monitor.alerts.home.url", http + "/gotify/");
            config.put("edgestack.monitor.alerts.home.token", "gotify-app-token");
            config.put("edgestack.monitor.alerts.pocket.type", "pushover");
            config.put("edgestack.monitor.alerts.pocket.url", http + "/pushover");
            config.put("edgestack.monitor.alerts.pocket.token", "pushoverAppToken");
            config.put("edgestack.monitor.alerts.pocket.user", "pushoverUserKey");
            config.put("edgestack.monitor.alerts.room.type", "matrix");
            config.put("edgestack.monitor.alerts.room.url", http + "/matrix");
            config.put("edgestack.monitor.alerts.room.token", "matrix-access-token");
            config.put("edgestack.monitor.alerts.room.room", "!ops:example.test");
            config.put("edgestack.monitor.alerts.oncall.type", "pagerduty");
            config.put("edgestack.monitor.alerts.oncall.url", http + "/pagerduty");
            config.put("edgestack.monitor.alerts.oncall.token", "pagerduty-routing-key");
            int smtp = freePort();
            int pop3 = freePort();
            mail = new GreenMail(new ServerSetup[] { new ServerSetup(smtp, "127.0.0.1", ServerSetup.PROTOCOL_SMTP),
                    new ServerSetup(pop3, "127.0.0.1", ServerSetup.PROTOCOL_POP3) });
            mail.setUser("ops@example.test", "ops", MAIL_PASSWORD);
            mail.start();
            System.setProperty("test.monitor.pop3", Integer.toString(pop3));
            config.put("quarkus.mailer.host", "127.0.0.1");
            config.put("quarkus.mailer.port", Integer.toString(smtp));
            config.put("quarkus.mailer.start-tls", "DISABLED");
            config.put("edgestack.monitor.alerts.mail.type", "email");
            config.put("edgestack.monitor.alerts.mail.to", "ops@example.test");
            config.put("edgestack.monitor.checks.web.url", http + "/health");
            config.put("edgestack.monitor.checks.web.interval", "1s");
            config.put("edgestack.monitor.checks.web.timeout", "1s");
            config.put("edgestack.monitor.checks.web.failures-before-down", "2");
            config.put("edgestack.monitor.checks.web.keyword", "Welcome");
            config.put("edgestack.monitor.checks.web.json-path", "$.status == ok");
            config.put("edgestack.monitor.checks.web.site", "example");
            config.put("edgestack.monitor.checks.port.group", "Infrastructure");
            config.put("edgestack.monitor.checks.internal-db.type", "tcp");
            config.put("edgestack.monitor.checks.internal-db.host", "127.0.0.1");
            config.put("edgestack.monitor.checks.internal-db.port", Integer.toString(targets.tcpPort()));
            config.put("edgestack.monitor.checks.internal-db.interval", "1h");
            config.put("edgestack.monitor.checks.internal-db.status-page", "false");
            config.put("edgestack.monitor.status.title", "Example status");
            config.put("edgestack.monitor.status.description", "Everything that serves example.test");
            config.put("edgestack.monitor.checks.port.type", "tcp");
            config.put("edgestack.monitor.checks.port.host", "127.0.0.1");
            config.put("edgestack.monitor.checks.port.port", Integer.toString(targets.tcpPort()));
            config.put("edgestack.monitor.checks.port.interval", "1s");
            config.put("edgestack.monitor.checks.cert.type", "tls");
            config.put("edgestack.monitor.checks.cert.host", "127.0.0.1");
            config.put("edgestack.monitor.checks.cert.port", Integer.toString(targets.httpsPort()));
            config.put("edgestack.monitor.checks.cert.interval", "1s");
            config.put("edgestack.monitor.checks.cert.tls-days", "14");
            config.put("edgestack.monitor.checks.cert.alerts", "hook");
            config.put("edgestack.monitor.checks.job.type", "push");
            config.put("edgestack.monitor.checks.job.push-period", "2s");
            config.put("edgestack.monitor.checks.job.push-token", PUSH_TOKEN);
            config.put("edgestack.monitor.checks.job.interval", "1s");
            config.put("edgestack.monitor.checks.job.timeout", "1s");
            config.put("edgestack.monitor.checks.job.failures-before-down", "1");
            config.put("edgestack.monitor.checks.job.alerts", "hook");
            config.put("edgestack.monitor.checks.edge.url", http + "/edge");
            config.put("edgestack.monitor.checks.edge.interval", "1s");
            config.put("edgestack.monitor.checks.edge.failures-before-down", "1");
            config.put("edgestack.monitor.checks.edge.successes-before-up", "1");
            config.put("edgestack.monitor.checks.edge.site", "edge-site");
            config.put("edgestack.monitor.checks.edge.alerts", "hook");
            config.put("edgestack.monitor.checks.shop.url", http + "/shop");
            config.put("edgestack.monitor.checks.shop.interval", "1h");
            config.put("edgestack.monitor.checks.shop.site", "shop");
            config.put("edgestack.monitor.checks.shop.alerts", "hook");
            config.put("edgestack.monitor.checks.tunneled.url", http + "/tunneled");
            config.put("edgestack.monitor.checks.tunneled.interval", "1h");
            config.put("edgestack.monitor.checks.tunneled.entry-layer", "tunnel");
            config.put("edgestack.monitor.checks.tunneled.tunnel", "site");
            config.put("edgestack.monitor.checks.tunneled.failures-before-down", "1");
            config.put("edgestack.monitor.checks.tunneled.successes-before-up", "1");
            config.put("edgestack.monitor.checks.tunneled.alerts", "hook");
            config.put("edgestack.monitor.deploy.watch-interval", "1s");
            config.put("edgestack.monitor.deploy.watch-window", "6s");
            config.put("quarkus.datasource.jdbc.url", "jdbc:h2:mem:monitor-flow;DB_CLOSE_DELAY=-1");
            return config;
        } catch (Exception e) {
            throw new IllegalStateException("could not start the monitor test targets", e);
        }
    }

    @Override
    public void stop() {
        if (targets != null) {
            targets.stop();
        }
        if (mail != null) {
            mail.stop();
        }
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
