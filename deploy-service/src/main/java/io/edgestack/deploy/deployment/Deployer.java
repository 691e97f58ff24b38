package io.edgestack.deploy.deployment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.deploy.build.BuildLog;
import io.edgestack.deploy.build.BuildRunner;
import io.edgestack.deploy.config.DeployConfig;
import io.edgestack.deploy.metrics.DeployMetrics;
import io.edgestack.deploy.release.ReleaseCheck;
import io.edgestack.deploy.release.ReleaseRecord;
import io.edgestack.deploy.release.ReleaseStore;
import io.edgestack.deploy.source.GitSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Runs deployments: one at a time per site, in the order they were asked for, newer pushes replacing the one still
 * waiting (so nothing is lost: the newest commit contains the others). Each deployment fetches, builds, makes an
 * immutable release, checks it, switches the live link atomically, then purges what changed. Anything that fails
 * before the switch leaves the live release as it was. State is in the database, so a restart (even after kill -9)
 * marks the interrupted deployment failed and resumes the queue.
 */
@ApplicationScoped
public class Deployer {

    private static final Logger LOG = Logger.getLogger(Deployer.class);

    private final DeployConfig config;
    private final DeploymentStore store;
    private final GitSource source;
    private final BuildRunner runner;
    private final ReleaseStore releases;
    private final AfterSwitch afterSwitch;
    private final DeployMetrics metrics;
    private final Vertx vertx;
    private final Map<String, ExecutorService> workers = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> switchLocks = new ConcurrentHashMap<>();
    private final Map<Long, BuildLog> running = new ConcurrentHashMap<>();
    private final Map<Long, List<Runnable>> watchers = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    public Deployer(DeployConfig config, DeploymentStore store, GitSource source, BuildRunner runner, ReleaseStore releases,
            AfterSwitch afterSwitch, DeployMetrics metrics, Vertx vertx) {
        this.config = config;
        this.store = store;
        this.source = source;
        this.runner = runner;
        this.releases = releases;
        this.afterSwitch = afterSwitch;
        this.metrics = metrics;
        this.vertx = vertx;
    }

    /** Asked for a site that is not configured. */
    public static final class UnknownSite extends RuntimeException {
        public UnknownSite(String site, Set<String> known) {
            super("No site named '" + site + "' (configured: " + String.join(", ", known) + ").");
        }
    }

    /** A deploy of a locked site: refused, with the lock. Rollbacks are not refused (they are how a site is saved). */
    public static final class Locked extends RuntimeException {
        private final transient DeploymentStore.Lock lock;

        public Locked(DeploymentStore.Lock lock) {
            super("Deploys of " + lock.site() + " are locked" + (lock.lockedBy() == null ? "" : " by " + lock.lockedBy())
                    + " since " + lock.lockedAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + ": " + lock.reason()
                    + ". Unlock with DELETE /api/lock?site=" + lock.site() + " (bin/edgestack unlock).");
            this.lock = lock;
        }

        public DeploymentStore.Lock lock() {
            return lock;
        }
    }

    /** A rollback that cannot be done, with the reason. */
    public static final class RollbackRefused extends RuntimeException {
        public RollbackRefused(String message) {
            super(message);
        }
    }

    public DeployConfig.Site site(String name) {
        DeployConfig.Site site = config.sites().get(name);
        if (site == null) {
            throw new UnknownSite(name, config.sites().keySet());
        }
        return site;
    }

    // ------------------------------------------------------------------ start and stop

    void start(@Observes StartupEvent event) {
        for (Deployment interrupted : store.withStatus(Deployment.RUNNING)) {
            if (interrupted.switchedAt() != null) {
                store.finished(interrupted.id(), Deployment.SUCCEEDED, "went live; deploy-service stopped during the "
                        + interrupted.stage() + " stage after the switch, so the purge may not have run");
            } else {
                store.finished(interrupted.id(), Deployment.FAILED, "interrupted: deploy-service stopped during the "
                        + interrupted.stage() + " stage; the live release was not changed");
                metrics.deployment(interrupted.site(), Deployment.FAILED);
            }
            LOG.warnf("Deployment #%d of %s was interrupted by a restart during %s", interrupted.id(), interrupted.site(),
                    interrupted.stage());
        }
        for (String site : config.sites().keySet()) {
            long leftover = BuildRunner.stopLeftover(buildPidFile(site));
            if (leftover > 0) {
                LOG.warnf("Stopped build process %d of %s, left running when deploy-service stopped", leftover, site);
            }
            try {
                releases.cleanLeftovers(site);
            } catch (IOException e) {
                LOG.warnf("Could not clean leftovers of %s: %s", site, e.getMessage());
            }
            String live = releases.live(site);
            metrics.live(site, live);
            List<Deployment> queued = store.withStatus(site, Deployment.QUEUED);
            metrics.queued(site, queued.size());
            metrics.locked(site, store.lockOf(site).isPresent());
            if (!queued.isEmpty()) {
                LOG.infof("Resuming %d queued deployment(s) of %s", queued.size(), site);
                kick(site);
            } else if (live == null && site(site).deployOnStart() && store.lockOf(site).isPresent()) {
                LOG.infof("Site %s has no live release, but its deploys are locked: not deploying", site);
            } else if (live == null && site(site).deployOnStart()) {
                LOG.infof("Site %s has no live release: deploying %s", site, site(site).branch());
                submit(site, site(site).branch(), "startup", "deploy-service start");
            }
        }
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        workers.values().forEach(ExecutorService::shutdownNow);
        for (ExecutorService worker : workers.values()) {
            try {
                worker.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ deploys

    /**
     * Queues a deployment of {@code ref}. A deployment of the same site still waiting is superseded by this one (the
     * newest push wins; the one running finishes first).
     */
    public Deployment submit(String site, String ref, String trigger, String triggeredBy) {
        site(site);
        Deployment queued;
        synchronized (this) { // with lock(): a lock taken is seen by every deploy queued after it
            Optional<DeploymentStore.Lock> lock = store.lockOf(site);
            if (lock.isPresent()) {
                LOG.infof("Deploy of %s refused (%s, %s): %s", site, trigger, triggeredBy, lock.get().reason());
                metrics.refused(site, "locked");
                throw new Locked(lock.get());
            }
            queued = store.insert(site, "deploy", Deployment.QUEUED, ref, trigger, triggeredBy);
            for (Deployment waiting : store.withStatus(site, Deployment.QUEUED)) {
                if (waiting.id() != queued.id()) {
                    store.finished(waiting.id(), Deployment.SUPERSEDED, "superseded by #" + queued.id() + " (" + ref
                            + ", " + trigger + "): pushes that arrive during a deploy are coalesced to the newest");
                    metrics.deployment(site, Deployment.SUPERSEDED);
                    changed(waiting.id());
                }
            }
        }
        metrics.queued(site, 1);
        LOG.infof("Deployment #%d of %s queued: %s (%s)", queued.id(), site, ref, trigger);
        kick(site);
        return queued;
    }

    private void kick(String site) {
        if (stopping) {
            return;
        }
        workers.computeIfAbsent(site, s -> Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "deploy-" + s);
            thread.setDaemon(true);
            return thread;
        })).execute(() -> drain(site));
    }

    private void drain(String site) {
        while (!stopping) {
            Deployment next;
            synchronized (this) {
                List<Deployment> queued = store.withStatus(site, Deployment.QUEUED);
                if (queued.isEmpty()) {
                    metrics.queued(site, 0);
                    return;
                }
                next = queued.get(queued.size() - 1);
                store.started(next.id(), "fetch");
                metrics.queued(site, 0);
            }
            run(next);
        }
    }

    private void run(Deployment deployment) {
        long id = deployment.id();
        String name = deployment.site();
        DeployConfig.Site site = site(name);
        Instant started = Instant.now();
        String stage = "fetch";
        Path logFile = config.workspace().toAbsolutePath().resolve("logs").resolve(name).resolve(id + ".log");
        try (BuildLog log = new BuildLog(logFile)) {
            running.put(id, log);
            changed(id);
            try {
                log.step("Deployment #" + id + " of " + name + ": " + deployment.ref() + " (" + deployment.trigger() + ")");
                log.step("Fetching " + site.repository() + " " + deployment.ref());
                GitSource.CommitInfo commit = source.fetch(name, site, deployment.ref());
                store.commit(id, commit.sha());
                log.step("Checked out " + commit.shortSha() + " by " + commit.author() + ": " + commit.message());

                stage = "build";
                store.stage(id, stage);
                Path checkout = source.checkout(name);
                Path output = checkout.resolve(site.outputDirectory()).normalize();
                long buildStart = System.nanoTime();
                if (site.buildCommand().filter(c -> !c.isBlank()).isPresent()) {
                    if (!output.equals(checkout) && output.startsWith(checkout)) {
                        deleteQuietly(output);
                    }
                    runner.run("build", site.buildCommand().get(), checkout.resolve(site.workingDirectory()).normalize(),
                            environment(name, site, commit, id), site.buildTimeout(), log, buildPidFile(name));
                } else {
                    log.step("No build command: the checkout is the site");
                }
                long buildMillis = (System.nanoTime() - buildStart) / 1_000_000;
                metrics.build(name, Duration.ofMillis(buildMillis));
                if (!Files.isDirectory(output)) {
                    throw new StageFailure("the build left no output folder " + site.outputDirectory() + " in the checkout");
                }

                String release = releases.newName(name, commit.sha(), Instant.now());
                String live = releases.live(name);
                Map<String, String> manifest = releases.create(name, release, output,
                        metadata(name, release, commit, deployment, buildMillis).encodePrettily());
                List<String> changed = live == null ? List.copyOf(manifest.keySet())
                        : ReleaseStore.changedFiles(releases.manifest(name, live), manifest);
                store.built(id, release, buildMillis);
                store.insertRelease(new ReleaseRecord(name, release, commit.sha(), commit.author(), commit.message(), changed,
                        buildMillis, deployment.triggeredBy(), id, ReleaseRecord.READY, null, Instant.now()));
                log.step("Release " + release + " made (" + manifest.size() + " files, " + changed.size()
                        + " changed since " + (live == null ? "nothing" : live) + ")");

                stage = "check";
                store.stage(id, stage);
                List<String> failures = ReleaseCheck.failures(releases.folder(name, release), site.healthPaths());
                if (!failures.isEmpty()) {
                    String reason = "pre-switch check refused release " + release + ": " + String.join("; ", failures);
                    store.releaseState(name, release, ReleaseRecord.REFUSED, reason);
                    throw new StageFailure(reason);
                }
                log.step("Pre-switch check passed (index.html" + (site.healthPaths().stream().anyMatch(p -> !p.equals("/"))
                        ? ", " + String.join(", ", site.healthPaths()) : "") + ")");

                stage = "switch";
                // Alerts are held back while the site changes under the checks (monitor-service keeps recording).
                maintenance(name, "Deploying " + release + " on " + name);
                String previous;
                String purge;
                try {
                    store.stage(id, stage);
                    previous = switchTo(name, release);
                    store.switched(id, release, previous);
                    log.step("Live: " + release + (previous == null ? "" : " (was " + previous + ")"));

                    stage = "purge";
                    store.stage(id, stage);
                    purge = afterSwitch.purge(name, site, previous == null ? null : changed, log);
                    store.purge(id, purge);
                    Map<String, String> env = switchEnvironment(name, site, release, id);
                    env.put("EDGESTACK_COMMIT", commit.sha());
                    afterSwitch.postSwitch(name, site, checkout, env, log);
                } finally {
                    maintenanceOver(name);
                }
                prune(name, site);
                store.finished(id, Deployment.SUCCEEDED, "live as " + release);
                metrics.deployment(name, Deployment.SUCCEEDED);
                metrics.total(name, Duration.between(started, Instant.now()));
                publish("deploy.completed", new JsonObject().put("site", name).put("deployment", id).put("release", release)
                        .put("previousRelease", previous).put("commit", commit.sha()).put("trigger", deployment.trigger())
                        .put("changedFiles", changed.size()).put("purge", purge));
                log.step("Done in " + Duration.between(started, Instant.now()).toMillis() + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(deployment, stage, "interrupted: deploy-service is stopping", log, started);
            } catch (GitSource.SourceException | BuildRunner.CommandFailed | StageFailure e) {
                fail(deployment, stage, e.getMessage(), log, started);
            } catch (IOException | RuntimeException e) {
                LOG.errorf(e, "Deployment #%d of %s failed during %s", id, name, stage);
                fail(deployment, stage, e.getClass().getSimpleName() + ": " + e.getMessage(), log, started);
            }
        } finally {
            running.remove(id);
            changed(id);
        }
    }

    private void fail(Deployment deployment, String stage, String reason, BuildLog log, Instant started) {
        String live = releases.live(deployment.site());
        String full = stage + " failed: " + reason + "; the live release is unchanged"
                + (live == null ? " (none yet)" : " (" + live + ")");
        log.step("FAILED — " + full);
        store.finished(deployment.id(), Deployment.FAILED, full);
        metrics.deployment(deployment.site(), Deployment.FAILED);
        metrics.total(deployment.site(), Duration.between(started, Instant.now()));
        LOG.warnf("Deployment #%d of %s failed: %s", deployment.id(), deployment.site(), full);
        if (!stopping) { // a deploy cut short by a stop is not news: it is resumed or reported at the next start
            publish("deploy.failed", new JsonObject().put("site", deployment.site()).put("deployment", deployment.id())
                    .put("stage", stage).put("reason", reason).put("liveRelease", live).put("ref", deployment.ref())
                    .put("trigger", deployment.trigger()).put("triggeredBy", deployment.triggeredBy()));
        }
    }

    /**
     * Runs {@code wake} once, on the thread that makes the change, when deployment {@code id} starts its live log here,
     * ends, or leaves its queue superseded; a follower of a queued deployment waits on this rather than asking the store
     * again and again. The caller looks at the deployment again after registering, for a change that came just before.
     */
    public void whenChanged(long id, Runnable wake) {
        watchers.computeIfAbsent(id, key -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(wake);
    }

    /** Takes back a {@link #whenChanged} that is no longer wanted (its follower went away). */
    public void forget(long id, Runnable wake) {
        watchers.computeIfPresent(id, (key, list) -> {
            list.remove(wake);
            return list.isEmpty() ? null : list;
        });
    }

    private void changed(long id) {
        List<Runnable> woken = watchers.remove(id);
        if (woken != null) {
            woken.forEach(Runnable::run);
        }
    }

    /**
     * Locks a site's deploys (a freeze: a push, an API or CLI deploy are refused with the reason until it is unlocked;
     * deployments already queued or running go on, rollbacks stay possible).
     */
    public synchronized DeploymentStore.Lock lock(String site, String reason, String by) {
        site(site);
        DeploymentStore.Lock lock = store.lock(site, reason, by);
        metrics.locked(site, true);
        LOG.infof("Deploys of %s locked by %s: %s", site, lock.lockedBy(), lock.reason());
        return lock;
    }

    /** Unlocks a site's deploys; false when they were not locked. */
    public synchronized boolean unlock(String site, String by) {
        site(site);
        boolean unlocked = store.unlock(site);
        metrics.locked(site, false);
        if (unlocked) {
            LOG.infof("Deploys of %s unlocked by %s", site, by);
        }
        return unlocked;
    }

    /**
     * Puts a site in maintenance, as {@code kamal app maintenance}: proxy-service answers its visitors {@code 503} with
     * {@code message} (and {@code Retry-After}) while the site's maintenance file exists, on every replica that reads
     * the releases; monitor-service holds the site's incidents and their alerts for the window
     * ({@code maintenance.started}, id {@code maintenance-<site>}, a week at most). Starting it again replaces the message.
     */
    public synchronized JsonObject startMaintenance(String site, String message, String by) {
        site(site);
        JsonObject state = new JsonObject().put("message", message).put("since", Instant.now().toString()).put("by", by);
        try {
            releases.startMaintenance(site, state.encodePrettily() + "\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the maintenance file of " + site, e);
        }
        LOG.infof("Site %s in maintenance (by %s): %s", site, by, message);
        publish("maintenance.started", new JsonObject().put("id", "maintenance-" + site).put("site", site)
                .put("minutes", 7 * 24 * 60).put("reason", message).put("holdIncidents", true));
        return state;
    }

    /** Ends a site's maintenance (the monitor is told 2 s later); false when it was not in maintenance. */
    public synchronized boolean endMaintenance(String site, String by) {
        site(site);
        boolean ended;
        try {
            ended = releases.endMaintenance(site);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot remove the maintenance file of " + site, e);
        }
        if (ended) {
            LOG.infof("Site %s live again (maintenance ended by %s)", site, by);
        }
        // the monitor's window ends once every proxy has seen the file go (they look once a second): a check in between
        // would count the last 503s against the site
        vertx.setTimer(2000, id -> publish("maintenance.ended", new JsonObject().put("id", "maintenance-" + site).put("site", site)));
        return ended;
    }

    /** The live log of a running deployment, if it runs in this process. */
    public Optional<BuildLog> liveLog(long id) {
        return Optional.ofNullable(running.get(id));
    }

    private Path buildPidFile(String site) {
        return config.workspace().toAbsolutePath().resolve(site).resolve("build.pid");
    }

    public Path logFile(Deployment deployment) {
        return config.workspace().toAbsolutePath().resolve("logs").resolve(deployment.site())
                .resolve(deployment.id() + ".log");
    }

    // ------------------------------------------------------------------ rollback

    /**
     * Makes an earlier release live again: {@code target} by name, or the newest switchable release before the live
     * one. With {@code automatic}, the release rolled back from is marked failed so it is never rolled forward to by
     * accident. Returns the recorded rollback.
     */
    public Deployment rollback(String name, String target, boolean force, String trigger, String triggeredBy, String why,
            boolean automatic) {
        DeployConfig.Site site = site(name);
        Instant started = Instant.now();
        ReentrantLock lock = switchLocks.computeIfAbsent(name, s -> new ReentrantLock());
        lock.lock();
        try {
            String live = releases.live(name);
            if (live == null) {
                throw new RollbackRefused("Site " + name + " has no live release to roll back from.");
            }
            String chosen = target == null ? previousOf(name, live) : checkTarget(name, target, live, force);
            Deployment rollback = store.insert(name, "rollback", Deployment.RUNNING, chosen, trigger, triggeredBy);
            store.started(rollback.id(), "switch");
            try {
                releases.switchTo(name, chosen);
            } catch (IOException e) {
                store.finished(rollback.id(), Deployment.FAILED, "switch failed: " + e.getMessage());
                throw new RollbackRefused("Could not switch " + name + " to " + chosen + ": " + e.getMessage());
            }
            store.switched(rollback.id(), chosen, live);
            metrics.live(name, chosen);
            if (automatic) {
                store.releaseState(name, live, ReleaseRecord.FAILED, why);
            }
            metrics.rollback(name, automatic ? "automatic" : "manual");
            String reason = "rolled back from " + live + " to " + chosen + (why == null ? "" : ": " + why);
            store.finished(rollback.id(), Deployment.SUCCEEDED, reason);
            LOG.infof("Site %s %s (%s, took %d ms)", name, reason, trigger, Duration.between(started, Instant.now()).toMillis());
            List<String> changed = changedBetween(name, live, chosen);
            afterSwitch.later(() -> {
                store.purge(rollback.id(), afterSwitch.purge(name, site, changed, null));
                postSwitchAfterRollback(name, site, chosen, rollback);
            });
            publish("deploy.rolled-back", new JsonObject().put("site", name).put("deployment", rollback.id())
                    .put("release", chosen).put("previousRelease", live).put("automatic", automatic)
                    .put("reason", why));
            return store.find(rollback.id()).orElseThrow();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The site's post-switch command after a rollback too (an app must be restarted on the release that is live
     * again), in that release's folder, with the same variables as after a deploy; its output is the rollback's log.
     */
    private void postSwitchAfterRollback(String name, DeployConfig.Site site, String release, Deployment rollback) {
        if (site.postSwitchCommand().filter(c -> !c.isBlank()).isEmpty()) {
            return;
        }
        Path folder = releases.folder(name, release).toAbsolutePath();
        Map<String, String> env = switchEnvironment(name, site, release, rollback.id());
        env.put("EDGESTACK_ROLLBACK", "true");
        try (BuildLog log = new BuildLog(logFile(rollback))) {
            log.step("Rolled back to " + release + ": running the post-switch command");
            afterSwitch.postSwitch(name, site, folder, env, log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String previousOf(String site, String live) {
        List<String> all;
        try {
            all = releases.list(site);
        } catch (IOException e) {
            throw new RollbackRefused("Cannot list the releases of " + site + ": " + e.getMessage());
        }
        Map<String, ReleaseRecord> records = new HashMap<>();
        store.releases(site).forEach(r -> records.put(r.name(), r));
        for (int i = all.size() - 1; i >= 0; i--) {
            String name = all.get(i);
            ReleaseRecord record = records.get(name);
            if (name.compareTo(live) < 0 && (record == null || record.switchable())) {
                return name;
            }
        }
        throw new RollbackRefused("Site " + site + " has no earlier release to roll back to (live: " + live + ").");
    }

    private String checkTarget(String site, String target, String live, boolean force) {
        if (target.equals(live)) {
            throw new RollbackRefused("Release " + target + " is already live.");
        }
        if (target.contains("/") || target.startsWith(".") || !Files.isDirectory(releases.folder(site, target))) {
            throw new RollbackRefused("Site " + site + " has no release named '" + target + "'.");
        }
        Optional<ReleaseRecord> record = store.release(site, target);
        if (record.isPresent() && !record.get().switchable() && !force) {
            throw new RollbackRefused("Release " + target + " is marked " + record.get().state() + " ("
                    + record.get().stateReason() + "); send \"force\": true to switch to it anyway.");
        }
        return target;
    }

    private List<String> changedBetween(String site, String from, String to) {
        try {
            Map<String, String> before = releases.manifest(site, from);
            Map<String, String> after = releases.manifest(site, to);
            return before.isEmpty() || after.isEmpty() ? null : ReleaseStore.changedFiles(before, after);
        } catch (IOException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ helpers

    private String switchTo(String site, String release) throws IOException {
        ReentrantLock lock = switchLocks.computeIfAbsent(site, s -> new ReentrantLock());
        lock.lock();
        try {
            String previous = releases.live(site);
            releases.switchTo(site, release);
            metrics.live(site, release);
            return previous;
        } finally {
            lock.unlock();
        }
    }

    private void prune(String name, DeployConfig.Site site) {
        try {
            String live = releases.live(name);
            String rollbackTarget = live == null ? null : previousOrNull(name, live);
            Set<String> keep = new java.util.HashSet<>();
            keep.add(live);
            keep.add(rollbackTarget);
            keep.remove(null);
            for (String deleted : releases.prune(name, site.keepReleases(), keep)) {
                store.deleteRelease(name, deleted);
                LOG.infof("Release %s of %s deleted (keeping %d)", deleted, name, site.keepReleases());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Could not delete old releases of %s: %s", name, e.getMessage());
        }
    }

    private String previousOrNull(String site, String live) {
        try {
            return previousOf(site, live);
        } catch (RollbackRefused e) {
            return null;
        }
    }

    private Map<String, String> environment(String name, DeployConfig.Site site, GitSource.CommitInfo commit, long id) {
        Map<String, String> env = new HashMap<>(site.buildEnv());
        env.put("EDGESTACK_SITE", name);
        env.put("EDGESTACK_COMMIT", commit.sha());
        env.put("EDGESTACK_DEPLOYMENT", Long.toString(id));
        return env;
    }

    /** The post-switch command's variables, after a deploy or a rollback: the build's, plus the release now live. */
    private Map<String, String> switchEnvironment(String name, DeployConfig.Site site, String release, long id) {
        Map<String, String> env = new HashMap<>(site.buildEnv());
        env.put("EDGESTACK_SITE", name);
        env.put("EDGESTACK_DEPLOYMENT", Long.toString(id));
        env.put("EDGESTACK_RELEASE", release);
        env.put("EDGESTACK_RELEASE_DIR", releases.folder(name, release).toAbsolutePath().toString());
        return env;
    }

    private JsonObject metadata(String site, String release, GitSource.CommitInfo commit, Deployment deployment,
            long buildMillis) {
        return new JsonObject().put("site", site).put("release", release).put("commit", commit.sha())
                .put("author", commit.author()).put("message", commit.message()).put("committedAt", commit.when().toString())
                .put("ref", deployment.ref()).put("deployment", deployment.id()).put("trigger", deployment.trigger())
                .put("triggeredBy", deployment.triggeredBy()).put("buildMillis", buildMillis)
                .put("builtAt", Instant.now().toString());
    }

    /**
     * {@code maintenance.started} for the site's checks, id {@code deploy-<site>}: monitor-service holds the site's
     * incidents until the window closes ({@code holdIncidents}: an app restarted by the post-switch command fails for
     * a moment, which is not the release failing) and judges them then. The window closes itself after 10 minutes
     * should the end never come.
     */
    private void maintenance(String site, String reason) {
        publish("maintenance.started", new JsonObject().put("id", "deploy-" + site).put("site", site).put("minutes", 10)
                .put("reason", reason).put("holdIncidents", true));
    }

    private void maintenanceOver(String site) {
        publish("maintenance.ended", new JsonObject().put("id", "deploy-" + site).put("site", site));
    }

    private void publish(String address, JsonObject event) {
        event.put("version", 1).put("at", Instant.now().toString());
        vertx.eventBus().publish(address, event);
    }

    private static void deleteQuietly(Path folder) {
        try {
            ReleaseStore.deleteTree(folder);
        } catch (IOException e) {
            LOG.debugf("Could not empty %s: %s", folder, e.getMessage());
        }
    }

    /** A stage failed for a reason a person can act on (the message says it). */
    static final class StageFailure extends Exception {
        StageFailure(String message) {
            super(message);
        }
    }
}
