package io.edgestack.proxy.health;

import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.edgestack.proxy.config.ProxyConfig;

/**
 * Ready when the releases folder that deploy-service writes into can be read. A site without a live release
 * yet is reported in the details but does not make the proxy unready: upstream routes still work.
 */
@Readiness
@ApplicationScoped
public class ReleasesRootCheck implements HealthCheck {

    private final ProxyConfig config;

    public ReleasesRootCheck(ProxyConfig config) {
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        Path root = config.releasesRoot().toAbsolutePath();
        Path current = root.resolve(config.defaultSite()).resolve("current");
        boolean readable = Files.isDirectory(root) && Files.isReadable(root);
        return HealthCheckResponse.named("releases-root")
                .status(readable)
                .withData("path", root.toString())
                .withData("problem", readable ? "none" : "folder missing or not readable")
                .withData("default-site-release", Files.exists(current) ? "live" : "none yet")
                .build();
    }
}
