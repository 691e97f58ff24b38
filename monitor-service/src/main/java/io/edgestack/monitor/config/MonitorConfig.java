package io.edgestack.monitor.config;

import java.nio.file.Path;
import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * monitor-service configuration, under {@code edgestack.monitor}.
 */
@ConfigMapping(prefix = "edgestack.monitor")
public interface MonitorConfig {

    /** Folder for the embedded results database and undelivered alerts. */
    @WithDefault("data/monitor")
    Path dataDir();

    /** Interval of a check that sets none. */
    @WithDefault("30s")
    Duration defaultInterval();

    /** Consecutive failures before a check is declared down. */
    @WithDefault("3")
    int failuresBeforeDown();
}
