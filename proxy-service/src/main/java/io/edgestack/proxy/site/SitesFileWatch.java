package io.edgestack.proxy.site;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.proxy.config.ProxyConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/**
 * Reloads the sites file when it changes (size, modification time or, for Kubernetes ConfigMaps, the target of its
 * link). Polling rather than inotify: it sees changes made through symbolic links and on any file system.
 */
@ApplicationScoped
public class SitesFileWatch {

    private static final Logger LOG = Logger.getLogger(SitesFileWatch.class);

    private final ProxyConfig config;
    private final SiteRegistry registry;
    private final Vertx vertx;
    private volatile String seen;
    private long timer = -1;

    public SitesFileWatch(ProxyConfig config, SiteRegistry registry, Vertx vertx) {
        this.config = config;
        this.registry = registry;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        config.sitesFile().ifPresent(file -> {
            seen = stamp(file);
            timer = vertx.setPeriodic(config.sitesFileCheckInterval().toMillis(),
                    id -> vertx.executeBlocking(() -> check(file), false));
        });
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    private Void check(Path file) {
        String now = stamp(file);
        if (now.equals(seen)) {
            return null;
        }
        seen = now;
        try {
            registry.reload();
            LOG.infof("Sites file %s changed: reloaded", file);
        } catch (SiteConfigException e) {
            LOG.errorf("Sites file %s changed but is invalid, the previous sites keep serving: %s", file, e.getMessage());
        }
        return null;
    }

    private static String stamp(Path file) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return attributes.size() + "/" + attributes.lastModifiedTime().toMillis() + "/" + file.toRealPath();
        } catch (IOException e) {
            return "missing";
        }
    }
}
