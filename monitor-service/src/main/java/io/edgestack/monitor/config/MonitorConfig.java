package io.edgestack.monitor.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * monitor-service configuration, under {@code edgestack.monitor}. Checks are declared as
 * {@code edgestack.monitor.checks.<name>.<key>=value} (keys in docs/monitor.md), alert channels as
 * {@code edgestack.monitor.alerts.<name>.type|url}.
 */
@ConfigMapping(prefix = "edgestack.monitor")
public interface MonitorConfig {

    /** Folder for the embedded results database. */
    @WithDefault("data/monitor")
    Path dataDir();

    /** Interval of a check that sets none. */
    @WithDefault("30s")
    Duration defaultInterval();

    /** Timeout of a check that sets none (never longer than its interval). */
    @WithDefault("10s")
    Duration defaultTimeout();

    /** Consecutive failures before a check is declared down (then one immediate re-check must fail too). */
    @WithDefault("3")
    int failuresBeforeDown();

    /** Consecutive successes before a down check is declared up again. */
    @WithDefault("2")
    int successesBeforeUp();

    /** Bearer token of the write API (checks, maintenance) and of the alert list (env EDGESTACK_MONITOR_API_TOKEN). */
    Optional<String> apiToken();

    /** The checks, by name: their settings as flat keys. */
    Map<String, Map<String, String>> checks();

    /** Alert channels, by name: {@code type} (webhook or slack) and {@code url}. */
    Map<String, Map<String, String>> alerts();

    /** How long every raw result is kept (packed, 8 bytes each); older ones live on as hourly aggregates. */
    @WithDefault("7d")
    Duration rawRetention();

    /** How long the hourly aggregates (uptime bars, history) are kept. */
    @WithDefault("365d")
    Duration hourlyRetention();

    /** How often results are written out, in one transaction (a kill -9 loses at most this much; incidents are kept at once). */
    @WithDefault("30s")
    Duration flushInterval();

    /** First wait before an alert that could not be delivered is sent again (doubling up to 5 minutes). */
    @WithDefault("5s")
    Duration alertRetryInitial();

    /** deploy-service, told about incidents on checks that name a {@code site} (it rolls back a fresh deploy). */
    Deploy deploy();

    /** The public status page. */
    StatusPage status();

    interface StatusPage {
        /** Its heading and the start of the browser's title. */
        @WithDefault("Status")
        String title();

        /** A line under the heading ("Everything that serves example.com"). */
        Optional<String> description();
    }

    interface Deploy {
        /** deploy-service's public URL; "none" turns the calls off. */
        @WithDefault("http://127.0.0.1:8082")
        String url();

        /** deploy-service's API token (env EDGESTACK_MONITOR_DEPLOY_TOKEN). */
        Optional<String> token();

        /** How long a site's checks run at the watch interval after a deploy or rollback of the site. */
        @WithDefault("5m")
        Duration watchWindow();

        /** The interval of a site's checks during the watch window (a check that is already faster keeps its own). */
        @WithDefault("5s")
        Duration watchInterval();
    }
}
