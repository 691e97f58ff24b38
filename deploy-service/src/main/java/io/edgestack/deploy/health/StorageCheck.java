package io.edgestack.deploy.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import io.edgestack.deploy.config.DeployConfig;

/**
 * Ready when deploy-service can write releases and its workspace, and when a local source repository exists
 * (remote ones are checked by the first fetch).
 */
@Readiness
@ApplicationScoped
public class StorageCheck implements HealthCheck {

    private final DeployConfig config;

    public StorageCheck(DeployConfig config) {
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("storage");
        String releases = writable(config.releasesRoot());
        String workspace = writable(config.workspace());
        String source = config.sites().entrySet().stream()
                .map(site -> site.getKey() + ": " + localSource(site.getValue().repository()))
                .reduce((a, b) -> a + "; " + b).orElse("no site configured");
        builder.withData("releases-root", releases).withData("workspace", workspace).withData("repository", source);
        return builder.status(releases.equals("writable") && workspace.equals("writable") && !source.contains(": missing"))
                .build();
    }

    private static String writable(Path folder) {
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            return "cannot create " + folder.toAbsolutePath() + ": " + e.getMessage();
        }
        return Files.isWritable(folder) ? "writable" : "not writable: " + folder.toAbsolutePath();
    }

    private static String localSource(String repository) {
        if (repository.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") && !repository.startsWith("file:")) {
            return "remote";
        }
        if (repository.matches("^[^/]+@[^:]+:.*")) {
            return "remote";
        }
        Path path = Path.of(repository.startsWith("file://") ? repository.substring("file://".length()) : repository);
        return Files.isDirectory(path) ? "local " + path.toAbsolutePath() : "missing: " + path.toAbsolutePath();
    }
}
