package io.edgestack.monitor.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Starts the targets and points monitor-service at them; the folder goes to tests as {@code test.monitor.root}. */
public class MonitorTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String API_TOKEN = "monitor-api-token-for-tests";
    public static final String PUSH_TOKEN = "push-token-for-tests-123";

    private Targets targets;

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
            config.put("edgestack.monitor.checks.web.url", http + "/health");
            config.put("edgestack.monitor.checks.web.interval", "1s");
            config.put("edgestack.monitor.checks.web.timeout", "1s");
            config.put("edgestack.monitor.checks.web.failures-before-down", "2");
            config.put("edgestack.monitor.checks.web.keyword", "Welcome");
            config.put("edgestack.monitor.checks.web.json-path", "$.status == ok");
            config.put("edgestack.monitor.checks.web.site", "example");
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
    }
}
