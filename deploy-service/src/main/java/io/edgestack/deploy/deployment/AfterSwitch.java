package io.edgestack.deploy.deployment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.deploy.build.BuildLog;
import io.edgestack.deploy.build.BuildRunner;
import io.edgestack.deploy.config.DeployConfig;
import io.edgestack.deploy.purge.ChangedUrls;
import io.edgestack.deploy.purge.ProxyClient;
import io.edgestack.deploy.purge.Rewarm;
import io.quarkus.runtime.ShutdownEvent;

/**
 * What follows a switch: purge from proxy-service exactly the URLs whose files changed (or everything when that cannot
 * be trusted), re-warm the purged pages, and run the site's post-switch command. The switch has happened already, so
 * nothing here can undo it; each outcome is recorded on the deployment.
 */
@ApplicationScoped
public class AfterSwitch {

    private static final Logger LOG = Logger.getLogger(AfterSwitch.class);

    private final ProxyClient proxy;
    private final Rewarm rewarm;
    private final BuildRunner runner;
    private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "deploy-after-switch");
        thread.setDaemon(true);
        return thread;
    });

    public AfterSwitch(ProxyClient proxy, Rewarm rewarm, BuildRunner runner) {
        this.proxy = proxy;
        this.rewarm = rewarm;
        this.runner = runner;
    }

    void stop(@Observes ShutdownEvent event) {
        background.shutdown();
    }

    /** Runs {@code task} off the caller's thread (a rollback answers before its purge is done). */
    void later(Runnable task) {
        background.execute(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.warnf("After-switch task failed: %s", e.getMessage());
            }
        });
    }

    /**
     * Purges what {@code changedFiles} maps to (null: the files before are unknown, purge the whole cache) and re-warms
     * the purged pages. Returns the outcome in words, to be recorded on the deployment.
     */
    String purge(String name, DeployConfig.Site site, List<String> changedFiles, BuildLog log) {
        if (!proxy.configured()) {
            return note(log, "skipped: no proxy admin token configured (edgestack.deploy.proxy.admin-token)");
        }
        StringBuilder why = new StringBuilder();
        Optional<List<String>> paths = changedFiles == null ? Optional.empty()
                : ChangedUrls.paths(changedFiles, site.maxPurgeUrls(), why);
        if (changedFiles != null && changedFiles.isEmpty()) {
            return note(log, "nothing to purge: no file changed");
        }
        try {
            if (paths.isEmpty()) {
                String reason = changedFiles == null ? "first release or unknown previous files" : why.toString();
                int removed = proxy.purgeEverything();
                return note(log, "ok: purged everything (" + reason + "), " + removed + " entries");
            }
            List<String> urls = new ArrayList<>();
            for (String host : site.publicHosts()) {
                for (String path : paths.get()) {
                    urls.add("http://" + host + path);
                }
            }
            int removed = proxy.purgeUrls(urls);
            List<String> pages = ChangedUrls.pages(paths.get());
            rewarm.pages(site.publicHosts(), pages).onSuccess(n -> LOG.debugf("Re-warmed %d page(s) of %s", n, name));
            return note(log, "ok: purged " + paths.get().size() + " URL(s) " + shorten(paths.get()) + " on "
                    + site.publicHosts().size() + " host(s), " + removed + " entries; re-warming " + pages.size() + " page(s)");
        } catch (RuntimeException e) {
            LOG.warnf("Purge of %s failed: %s", name, e.getMessage());
            return note(log, "failed: " + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + " (the new release is live; cached copies of changed URLs may be served until they expire)");
        }
    }

    /** Runs the site's post-switch command, if it has one; a failure is logged, the release stays live. */
    void postSwitch(String name, DeployConfig.Site site, Path checkout, Map<String, String> env, BuildLog log)
            throws InterruptedException {
        Optional<String> command = site.postSwitchCommand().filter(c -> !c.isBlank());
        if (command.isEmpty()) {
            return;
        }
        try {
            runner.run("post-switch command", command.get(), checkout, env, site.buildTimeout(), log);
        } catch (BuildRunner.CommandFailed e) {
            log.step("Post-switch command failed: " + e.getMessage() + " (the release stays live)");
            LOG.warnf("Post-switch command of %s failed: %s", name, e.getMessage());
        }
    }

    private static String note(BuildLog log, String outcome) {
        if (log != null) {
            log.step("Purge " + outcome);
        }
        return outcome;
    }

    private static String shorten(List<String> paths) {
        return paths.size() <= 5 ? paths.toString() : paths.subList(0, 5) + " and " + (paths.size() - 5) + " more";
    }
}
