package io.edgestack.monitor.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.edgestack.monitor.config.MonitorConfig;

/**
 * Ready when the data folder (results, incidents, undelivered alerts) can be written.
 */
@Readiness
@ApplicationScoped
public class DataDirCheck implements HealthCheck {

    private final MonitorConfig config;

    public DataDirCheck(MonitorConfig config) {
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        Path dir = config.dataDir().toAbsolutePath();
        String problem;
        try {
            Files.createDirectories(dir);
            problem = Files.isWritable(dir) ? "none" : "not writable";
        } catch (IOException e) {
            problem = "cannot create: " + e.getMessage();
        }
        return HealthCheckResponse.named("data-dir")
                .status(problem.equals("none"))
                .withData("path", dir.toString())
                .withData("problem", problem)
                .build();
    }
}
