package io.edgestack.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * monitoring/prometheus with the real Prometheus tooling (Debian's {@code prometheus} package, which .ci/run installs):
 * the scrape configuration and its rule file are valid, and every alerting rule passes its unit tests.
 */
class MonitoringRulesIT {

    private static final Path PROMETHEUS = Cli.repositoryRoot().resolve("monitoring/prometheus");

    @Test
    void theScrapeConfigurationAndItsRulesAreValid() throws Exception {
        String out = promtool(PROMETHEUS, "check", "config", "prometheus.yml");
        assertTrue(out.contains("SUCCESS: 16 rules found"), out);
    }

    @Test
    void theComposeScrapeConfigurationAndAlertmanagerConfigurationAreValid() throws Exception {
        assertTrue(promtool(PROMETHEUS, "check", "config", "prometheus-compose.yml").contains("SUCCESS: 16 rules found"));
        Process amtool = new ProcessBuilder("amtool", "check-config", "alertmanager.yml")
                .directory(PROMETHEUS.resolveSibling("alertmanager").toFile()).redirectErrorStream(true).start();
        assertTrue(amtool.waitFor(60, TimeUnit.SECONDS), "amtool finished");
        String out = new String(amtool.getInputStream().readAllBytes());
        assertEquals(0, amtool.exitValue(), out);
        assertTrue(out.contains("SUCCESS"), out);
    }

    @Test
    void everyAlertingRulePassesItsUnitTests() throws Exception {
        String out = promtool(PROMETHEUS.resolve("rules"), "test", "rules", "edgestack.test.yml");
        assertTrue(out.contains("SUCCESS"), out);
    }

    private static String promtool(Path dir, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "promtool finished");
        System.out.println("$ " + String.join(" ", command) + "\n" + out);
        assertEquals(0, process.exitValue(), out);
        return out;
    }
}
