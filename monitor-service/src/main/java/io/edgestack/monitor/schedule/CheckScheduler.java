package io.edgestack.monitor.schedule;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.cluster.TlsWarmup;
import io.edgestack.monitor.alert.Alerter;
import io.edgestack.monitor.check.CheckResult;
import io.edgestack.monitor.check.CheckSpec;
import io.edgestack.monitor.check.Layers;
import io.edgestack.monitor.check.Probes;
import io.edgestack.monitor.config.MonitorConfig;
import io.edgestack.monitor.deploy.DeployApi;
import io.edgestack.monitor.deploy.DeployClient;
import io.edgestack.monitor.incident.IncidentTracker;
import io.edgestack.monitor.metrics.MonitorMetrics;
import io.edgestack.monitor.status.StatusPage;
import io.edgestack.monitor.store.MonitorStore;
import io.edgestack.monitor.tunnel.Tunnels;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Runs every check on its interval (spread over the interval so that many checks do not fire together), records each
 * result, and acts on what the incident tracker decides: re-check at once, open an incident (telling deploy-service when
 * the check watches a site, then alerting with what it did), or resolve one. Checks come from configuration (an invalid
 * one stops the start with a message naming the check and the key) and from the API (kept in the database).
 */
@ApplicationScoped
public class CheckScheduler {

    private static final Logger LOG = Logger.getLogger(CheckScheduler.class);

    private final MonitorConfig config;
    private final Probes probes;
    private final MonitorStore store;
    private final Alerter alerter;
    private final DeployClient deploy;
    private final MonitorMetrics metrics;
    private final Vertx vertx;
    private final IncidentTracker tracker = new IncidentTracker();
    private final Map<String, CheckSpec> checks = new ConcurrentHashMap<>();
    private final Map<String, Boolean> fromApi = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, CheckResult> last = new ConcurrentHashMap<>();
    /** A push check's last heartbeat: when, and what the job said of itself (Uptime Kuma's status, msg and ping). */
    private record Ping(Instant at, boolean up, String message, long latencyMs) {
    }

    private final Map<String, Ping> pings = new ConcurrentHashMap<>();
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    private final Instant started = Instant.now();
    private final io.edgestack.monitor.alert.Maintenance maintenance;
    private final Tunnels tunnels;

    public CheckScheduler(MonitorConfig config, Probes probes, MonitorStore store, Alerter alerter, DeployClient deploy,
            MonitorMetrics metrics, Vertx vertx, io.edgestack.monitor.alert.Maintenance maintenance, Tunnels tunnels) {
        this.maintenance = maintenance;
        this.tunnels = tunnels;
        this.config = config;
        this.probes = probes;
        this.store = store;
        this.alerter = alerter;
        this.deploy = deploy;
        this.metrics = metrics;
        this.vertx = vertx;
    }

    public CheckSpec.Defaults defaults() {
        return new CheckSpec.Defaults(config.defaultInterval(), config.defaultTimeout(), config.failuresBeforeDown(),
                config.successesBeforeUp());
    }

    void start(@Observes StartupEvent event) {
        Map<String, CheckSpec> configured = new LinkedHashMap<>();
        config.checks().forEach((name, settings) -> configured.put(name,
                CheckSpec.parse(name, settings, defaults(), "edgestack.monitor.checks." + name + ".")));
        store.apiChecks().forEach((name, json) -> {
            if (configured.containsKey(name)) {
                LOG.warnf("Check %s is in the configuration and was also added through the API: the configuration wins", name);
                return;
            }
            try {
                configured.put(name, CheckSpec.parse(name, settings(name, new JsonObject(json)), defaults(), name + "."));
                fromApi.put(name, true);
            } catch (RuntimeException e) {
                LOG.errorf("Stored check %s is not valid any more and is not run: %s", name, e.getMessage());
            }
        });
        for (MonitorStore.Incident open : store.openIncidents()) {
            tracker.restoreOpen(open.check(), open.id());
            LOG.infof("Incident #%d on %s is still open (since %s)", open.id(), open.check(), open.startedAt());
        }
        metrics.incidentsOpen(() -> checks.keySet().stream().filter(name -> openIncident(name) != null).count());
        if (configured.values().stream().anyMatch(CheckSpec::usesTls)) {
            TlsWarmup.run(vertx); // here, not on the event loop of the first HTTPS or TLS check (it would count as latency)
        }
        configured.values().forEach(this::schedule);
        LOG.infof("Monitoring %d check(s), alerting through %d channel(s)", configured.size(), alerter.channels().size());
    }

    void stop(@Observes ShutdownEvent event) {
        timers.values().forEach(Timer::cancel);
    }

    public static Map<String, String> settings(String name, JsonObject json) {
        Map<String, String> settings = new LinkedHashMap<>();
        json.forEach(entry -> {
            Object value = entry.getValue();
            if (value instanceof io.vertx.core.json.JsonArray list) {
                // a list key (alerts, expected-status, a dns check's expected) written as JSON writes a list
                List<String> items = new ArrayList<>();
                for (Object item : list) {
                    if (!scalar(item)) {
                        throw new CheckSpec.Invalid(name + "." + entry.getKey() + ": a list of strings or numbers was expected, not "
                                + list.encode());
                    }
                    items.add(String.valueOf(item));
                }
                settings.put(entry.getKey(), String.join(",", items));
            } else if (value != null && !scalar(value)) {
                throw new CheckSpec.Invalid(name + "." + entry.getKey() + ": a string, number or boolean was expected, not "
                        + (value instanceof JsonObject object ? object.encode() : String.valueOf(value))
                        + (entry.getKey().equals("headers") ? " (a header is a key of its own: header-<Name>)" : ""));
            } else if (value != null) {
                settings.put(entry.getKey(), String.valueOf(value));
            }
        });
        return settings;
    }

    private static boolean scalar(Object value) {
        return value instanceof String || value instanceof Number || value instanceof Boolean;
    }

    public Map<String, CheckSpec> checks() {
        return checks;
    }

    public boolean isFromApi(String name) {
        return fromApi.containsKey(name);
    }

    public Optional<CheckResult> last(String name) {
        return Optional.ofNullable(last.get(name));
    }

    public Long openIncident(String name) {
        Long id = tracker.openIncident(name);
        return id == null || id < 0 ? null : id;
    }

    /** Adds (or replaces) a check made through the API; blocking (database). */
    public void addFromApi(CheckSpec spec, JsonObject settings) {
        store.saveCheck(spec.name(), settings.encode());
        fromApi.put(spec.name(), true);
        unschedule(spec.name());
        schedule(spec);
    }

    /** Removes a check made through the API; blocking (database). */
    public boolean removeFromApi(String name) {
        if (!fromApi.containsKey(name)) {
            return false;
        }
        store.deleteCheck(name);
        fromApi.remove(name);
        unschedule(name);
        checks.remove(name);
        last.remove(name);
        tracker.forget(name);
        metrics.forget(name);
        return true;
    }

    /** A push check's heartbeat; false when the check or its token is wrong (compared in constant time). */
    public boolean ping(String name, String token) {
        return ping(name, token, true, null, 0);
    }

    /**
     * A push check's heartbeat with what the job says, as Uptime Kuma's push URL takes it: {@code up} false
     * ({@code status=down}) makes the check's runs fail with cause {@code reported} until a heartbeat says up again;
     * {@code message} ({@code msg}) is shown as the run's summary, {@code latencyMs} ({@code ping}) as its latency.
     */
    public boolean ping(String name, String token, boolean up, String message, long latencyMs) {
        if (token == null) {
            // Uptime Kuma's push URL names no check: its path is the token (/api/push/<token>), so that a job's URL
            // works here once its host is changed. Every push check's token is compared, in constant time.
            byte[] presented = sha(name.getBytes(StandardCharsets.UTF_8));
            String found = null;
            for (CheckSpec candidate : checks.values()) {
                if (candidate.type().equals("push") && candidate.pushToken() != null
                        && MessageDigest.isEqual(sha(candidate.pushToken().getBytes(StandardCharsets.UTF_8)), presented)) {
                    found = candidate.name();
                }
            }
            return found != null && ping(found, name, up, message, latencyMs);
        }
        CheckSpec spec = checks.get(name);
        boolean known = spec != null && spec.type().equals("push");
        byte[] expected = (known ? spec.pushToken() : "no such check, no token").getBytes(StandardCharsets.UTF_8);
        byte[] presented = (token == null ? "" : token).getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(sha(expected), sha(presented)) || !known) {
            return false;
        }
        String said = message == null || message.isBlank() ? null : message.strip();
        pings.put(name, new Ping(Instant.now(), up, said, Math.max(0, latencyMs)));
        if (!up) {
            vertx.runOnContext(v -> run(spec)); // a failure the job reports counts now, not at the next run
        }
        return true;
    }

    /** A site being watched after a deploy: until when, and what was deployed. */
    public record Watch(String site, String release, String previousRelease, Instant until) {
    }

    /**
     * After {@code deploy.completed} or {@code deploy.rolled-back}: the site's checks run at the watch interval for the
     * watch window, so that an incident (and the rollback it asks for) comes within seconds of a bad release.
     *
     * @return the names of the checks now watched
     */
    public java.util.List<String> watch(String site, String release, String previousRelease) {
        Instant until = Instant.now().plus(config.deploy().watchWindow());
        Watch watch = new Watch(site, release, previousRelease, until);
        watches.put(site, watch);
        java.util.List<String> watched = rescheduleSite(site);
        vertx.setTimer(Math.max(1, config.deploy().watchWindow().toMillis()), id -> {
            if (watches.remove(site, watch)) {
                rescheduleSite(site);
                LOG.infof("Watch window of %s ended: its checks are back to their own interval", site);
            }
        });
        LOG.infof("Watching %s (release %s) for %d s: %s every %d ms", site, release,
                config.deploy().watchWindow().toSeconds(), watched, config.deploy().watchInterval().toMillis());
        return watched;
    }

    /** Schedules the checks of a site again, at the interval {@link #intervalOf} gives now; returns their names. */
    private java.util.List<String> rescheduleSite(String site) {
        java.util.List<String> names = checks.values().stream().filter(spec -> site.equals(spec.site()))
                .map(CheckSpec::name).sorted().toList();
        for (String name : names) {
            CheckSpec spec = checks.get(name);
            unschedule(name);
            schedule(spec);
        }
        return names;
    }

    /**
     * Runs the checks {@code which} selects once now, besides their schedule (push checks are judged on their own
     * schedule only); returns their names.
     */
    public java.util.List<String> runNow(java.util.function.Predicate<CheckSpec> which) {
        java.util.List<CheckSpec> chosen = checks.values().stream().filter(spec -> !spec.type().equals("push"))
                .filter(which).sorted(java.util.Comparator.comparing(CheckSpec::name)).toList();
        chosen.forEach(spec -> vertx.runOnContext(v -> run(spec)));
        return chosen.stream().map(CheckSpec::name).toList();
    }

    /**
     * The sites watched after a deploy now. Only reads: a watch whose window is over but whose timer has not run yet is
     * left for that timer, which puts the site's checks back to their own interval (taking it away here left them at
     * the watch interval for good).
     */
    public Map<String, Watch> watches() {
        Instant now = Instant.now();
        Map<String, Watch> open = new java.util.TreeMap<>();
        watches.forEach((site, watch) -> {
            if (watch.until().isAfter(now)) {
                open.put(site, watch);
            }
        });
        return Map.copyOf(open);
    }

    /** The interval a check runs at now: its own, or the watch interval while its site is watched. */
    public Duration intervalOf(CheckSpec spec) {
        Watch watch = spec.site() == null ? null : watches.get(spec.site());
        if (watch != null && watch.until().isAfter(Instant.now())
                && config.deploy().watchInterval().compareTo(spec.interval()) < 0) {
            return config.deploy().watchInterval();
        }
        return spec.interval();
    }

    private void schedule(CheckSpec spec) {
        checks.put(spec.name(), spec);
        long interval = intervalOf(spec).toMillis();
        long offset = 50 + Math.floorMod(spec.name().hashCode(), Math.max(1, Math.min(interval, 5000) - 50));
        long[] due = { System.currentTimeMillis() + offset };
        Timer timer = new Timer();
        timers.put(spec.name(), timer);
        timer.first(vertx.setTimer(offset, first -> {
            if (timer.then(vertx.setPeriodic(interval, id -> tick(spec, due, interval)))) {
                tick(spec, due, interval);
            }
        }));
    }

    /**
     * The Vert.x timer of one check's schedule: first its offset, then its period. The timers of a schedule and the
     * calls that cancel it may run on different event loops (a deploy's watch, an API change), so a cancel that comes
     * between the offset firing and the period being set still stops the period.
     */
    private final class Timer {
        private long id = -1;
        private boolean cancelled;

        synchronized void first(long offset) {
            if (cancelled) {
                vertx.cancelTimer(offset);
            } else if (id < 0) { // unless the offset has already fired and set the period
                id = offset;
            }
        }

        /** Takes the period of this schedule; false (and the period cancelled) when the schedule was cancelled. */
        synchronized boolean then(long period) {
            if (cancelled) {
                vertx.cancelTimer(period);
                return false;
            }
            id = period;
            return true;
        }

        synchronized void cancel() {
            cancelled = true;
            if (id >= 0) {
                vertx.cancelTimer(id);
            }
        }
    }

    /** One scheduled run: how late it starts against its schedule is measured (the drift), then it runs. */
    private void tick(CheckSpec spec, long[] due, long interval) {
        long now = System.currentTimeMillis();
        metrics.drift(now - due[0]);
        due[0] += interval;
        if (due[0] < now - interval) {
            due[0] = now; // the process was suspended: start counting again rather than report the pause forever
        }
        run(spec);
    }

    private void unschedule(String name) {
        Timer timer = timers.remove(name);
        if (timer != null) {
            timer.cancel();
        }
    }

    private void run(CheckSpec spec) {
        if (checks.get(spec.name()) != spec) {
            return;
        }
        if (spec.type().equals("push")) {
            handle(spec, push(spec));
            return;
        }
        probes.run(spec).onSuccess(result -> handle(spec, result));
    }

    private CheckResult push(CheckSpec spec) {
        Ping ping = pings.get(spec.name());
        Instant lastPing = ping == null ? null : ping.at();
        Instant since = lastPing == null ? started : lastPing;
        long silent = Duration.between(since, Instant.now()).toSeconds();
        if (Duration.between(since, Instant.now()).compareTo(spec.pushPeriod().plus(spec.timeout())) <= 0) {
            if (ping != null && !ping.up()) {
                return CheckResult.down(spec.name(), CheckResult.REPORTED, ping.latencyMs(), 0, "the job reported a failure "
                        + silent + " s ago" + (ping.message() == null ? "" : ": " + ping.message()), null);
            }
            return CheckResult.up(spec.name(), ping == null ? 0 : ping.latencyMs(), 0, lastPing == null ? "waiting for the first ping"
                    : "last ping " + silent + " s ago" + (ping.message() == null ? "" : ": " + ping.message()), null);
        }
        return CheckResult.down(spec.name(), "missed-push", 0, 0, (lastPing == null ? "no ping since the start, " + silent
                + " s ago" : "no ping for " + silent + " s") + " (expected every " + spec.pushPeriod().toSeconds() + " s)", null);
    }

    private void handle(CheckSpec spec, CheckResult result) {
        last.put(spec.name(), result);
        metrics.result(result);
        IncidentTracker.Decision decision = tracker.onResult(spec, result, maintenance.holdsIncidents(spec));
        if (decision instanceof IncidentTracker.Recheck) {
            vertx.runOnContext(v -> run(spec));
        }
        vertx.executeBlocking(() -> {
            store.result(result);
            if (decision instanceof IncidentTracker.Open open) {
                open(spec, open, result);
            } else if (decision instanceof IncidentTracker.Resolve resolve) {
                resolve(spec, resolve.incidentId());
            }
            return null;
        }, false).onFailure(e -> LOG.errorf(e, "Could not record a result of %s", spec.name()));
    }

    private void open(CheckSpec spec, IncidentTracker.Open open, CheckResult latest) {
        CheckResult first = open.firstFailure();
        String layer = latest.layer() != null ? latest.layer() : first.layer();
        Tunnels.Down tunnelDown = tunnels.downFor(spec);
        if (tunnelDown != null) {
            layer = Layers.TUNNEL; // the edge said so: whatever the answer looked like, visitors cannot get through
        }
        boolean stale = CheckResult.STALE.equals(first.cause());
        MonitorStore.Incident incident = store.openIncident(spec.name(), first.at(), first.cause(), first.summary(),
                open.failures(), layer);
        tracker.opened(spec.name(), incident.id());
        LOG.warnf("%s is %s (%s%s): %s — incident #%d", spec.name(), stale ? "SERVED STALE" : "DOWN", first.cause(),
                layer == null ? "" : ", failed layer: " + layer, first.summary(), incident.id());
        String rollback = null;
        JsonObject event = event("incident.opened", spec, incident);
        // A stale copy means the origin application behind the proxy failed, not the release; a failed tunnel or
        // proxy is the suite's own path, not the release either: no rollback for those.
        boolean pathFailed = Layers.TUNNEL.equals(layer) || Layers.PROXY.equals(layer);
        if (spec.site() != null && pathFailed) {
            rollback = "no rollback: the " + layer + " layer failed, not the release"
                    + (tunnelDown == null ? "" : "; " + tunnelDown.describe());
            store.noteIncident(incident.id(), rollback);
        } else if (spec.site() != null && CheckResult.CERTIFICATE.equals(first.cause())) {
            // the site answered; its certificate is running out, which no release changes
            rollback = "no rollback: the certificate expires soon, not the release";
            store.noteIncident(incident.id(), rollback);
        } else if (tunnelDown != null) {
            rollback = tunnelDown.describe();
            store.noteIncident(incident.id(), rollback);
        } else if (spec.site() != null && deploy.configured() && !stale) {
            try {
                DeployApi.Decision decision = deploy.incident(spec.site(), spec.name() + ": " + first.summary(), first.at());
                if ("rolled-back".equals(decision.action()) && decision.rollback() != null) {
                    rollback = "release " + decision.rollback().previousRelease() + " rolled back to "
                            + decision.rollback().release();
                } else {
                    rollback = "no rollback: " + decision.reason();
                }
                event.put("deploy", new JsonObject().put("action", decision.action()).put("reason", decision.reason()));
            } catch (RuntimeException e) {
                rollback = "deploy-service could not be told: " + e.getMessage();
            }
            store.noteIncident(incident.id(), rollback);
        }
        String text = (stale ? ":warning: " + spec.name() + " is served from the cache's stale copy, its origin is failing: "
                : ":red_circle: " + spec.name() + " is down (" + first.cause() + "): ") + first.summary()
                + (layer == null ? "" : " — failed layer: " + layer)
                + (open.flapping() ? " [flapping]" : "") + (rollback == null ? "" : " — " + rollback);
        alerter.raise(spec, incident.id(), "opened", event.put("note", rollback), text);
        vertx.eventBus().publish("monitor.incident.opened", event.copy().put("site", spec.site())
                .put("summary", first.summary()).put("openedAt", first.at().toString()));
    }

    private void resolve(CheckSpec spec, long id) {
        store.resolveIncident(id, Instant.now());
        MonitorStore.Incident incident = store.incident(id).orElseThrow();
        LOG.infof("%s is UP again after %d s — incident #%d resolved", spec.name(), incident.durationSeconds(), id);
        String text = ":large_green_circle: " + spec.name() + (CheckResult.STALE.equals(incident.cause())
                ? " is served fresh again after " : " is up again after ") + StatusPage.human(incident.durationSeconds())
                + " (was " + incident.cause() + ": " + incident.summary() + ")";
        JsonObject event = event("incident.resolved", spec, incident);
        alerter.raise(spec, id, "resolved", event, text);
        vertx.eventBus().publish("monitor.incident.resolved", event.copy().put("site", spec.site()));
    }

    private static JsonObject event(String kind, CheckSpec spec, MonitorStore.Incident incident) {
        return new JsonObject().put("version", 1).put("at", Instant.now().toString()).put("kind", kind).put("check", spec.name()).put("target", spec.target())
                .put("site", spec.site()).put("incident", new JsonObject().put("id", incident.id())
                        .put("startedAt", incident.startedAt().toString())
                        .put("endedAt", incident.endedAt() == null ? null : incident.endedAt().toString())
                        .put("durationSeconds", incident.durationSeconds()).put("cause", incident.cause())
                        .put("layer", incident.layer())
                        .put("summary", incident.summary()));
    }

    private static byte[] sha(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
