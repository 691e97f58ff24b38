package io.edgestack.monitor.alert;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.edgestack.monitor.check.CheckSpec;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Maintenance windows: while one is open for a check's site (or for everything), its incidents are still recorded but
 * their alerts are suppressed. Opened through the API or by {@code maintenance.started}/{@code ended} events (deploy
 * switches).
 */
@ApplicationScoped
public class Maintenance {

    /**
     * An open window: {@code site} null means every check. {@code holdIncidents}: its site's incidents are judged once
     * it closes (a deploy's own switch: an app restarting inside it is not an incident of the release).
     */
    public record Window(String id, String site, String reason, Instant start, Instant end, boolean holdIncidents) {
    }

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(Maintenance.class);

    private final List<Window> windows = new CopyOnWriteArrayList<>();

    public Window open(String id, String site, String reason, Instant end) {
        return open(id, site, reason, end, false);
    }

    public Window open(String id, String site, String reason, Instant end, boolean holdIncidents) {
        windows.removeIf(w -> w.id().equals(id));
        Window window = new Window(id, site, reason, Instant.now(), end, holdIncidents);
        windows.add(window);
        LOG.infof("Maintenance window %s opened for %s until %s: %s", id, site == null ? "every check" : site, end, reason);
        return window;
    }

    public boolean close(String id) {
        boolean closed = windows.removeIf(w -> w.id().equals(id));
        if (closed) {
            LOG.infof("Maintenance window %s closed", id);
        }
        return closed;
    }

    public List<Window> open() {
        Instant now = Instant.now();
        windows.removeIf(w -> w.end().isBefore(now));
        return List.copyOf(windows);
    }

    public Optional<Window> active(CheckSpec spec) {
        return open().stream().filter(w -> w.site() == null || w.site().equals(spec.site())).findFirst();
    }

    /** Whether an open window of the check's site holds its incidents until it closes. */
    public boolean holdsIncidents(CheckSpec spec) {
        return spec.site() != null && open().stream().anyMatch(w -> w.holdIncidents() && spec.site().equals(w.site()));
    }

    /**
     * Opens the window of each site deploy-service has in maintenance ({@code maintenance-<site>}, incidents held, as
     * the {@code maintenance.started} event it sent before this monitor started would have): what a restarted monitor
     * asks at start. A site deploy-service cannot be asked about is left as it is (logged). Blocking: a worker thread.
     *
     * @return the sites found in maintenance
     */
    public List<String> restore(java.util.Collection<String> sites,
            java.util.function.Function<String, io.edgestack.monitor.deploy.DeployApi.SiteMaintenance> ask) {
        List<String> found = new java.util.ArrayList<>();
        for (String site : sites) {
            try {
                io.edgestack.monitor.deploy.DeployApi.SiteMaintenance state = ask.apply(site);
                if (state != null && state.maintenance()) {
                    open("maintenance-" + site, site, state.message() == null ? "maintenance" : state.message(),
                            Instant.now().plus(java.time.Duration.ofDays(7)), true);
                    found.add(site);
                }
            } catch (RuntimeException e) {
                LOG.infof("Could not ask deploy-service whether %s is in maintenance: %s", site, e.getMessage());
            }
        }
        return found;
    }

    /**
     * At start, on a worker: the sites that deploy-service has in maintenance, among those of the configured checks and
     * of the checks added through the API (kept in the store).
     */
    void restoreAtStart(@Observes StartupEvent start, Vertx vertx, io.edgestack.monitor.config.MonitorConfig config,
            io.edgestack.monitor.deploy.DeployClient deploy, io.edgestack.monitor.store.MonitorStore store) {
        if (!deploy.configured()) {
            return;
        }
        java.util.Set<String> sites = new java.util.TreeSet<>();
        java.util.function.Consumer<Object> add = site -> {
            if (site != null && !String.valueOf(site).isBlank()) {
                sites.add(String.valueOf(site).trim());
            }
        };
        config.checks().values().forEach(settings -> add.accept(settings.get("site")));
        store.apiChecks().forEach((name, json) -> {
            try {
                add.accept(new JsonObject(json).getValue("site"));
            } catch (RuntimeException e) { // the scheduler reports a stored check it cannot read
                LOG.debugf("Stored check %s not read for its site: %s", name, e.getMessage());
            }
        });
        if (!sites.isEmpty()) {
            vertx.executeBlocking(() -> restore(sites, deploy::maintenance), false);
        }
    }

    /** Consumers on the (clustered) event bus for any body type; what is not a JSON object is logged and dropped. */
    void consume(@Observes StartupEvent start, Vertx vertx) {
        vertx.eventBus().consumer("maintenance.started", message -> started(message.body()));
        vertx.eventBus().consumer("maintenance.ended", message -> ended(message.body()));
    }

    void started(Object body) {
        try {
            JsonObject event = body instanceof JsonObject json ? json : new JsonObject(String.valueOf(body));
            String id = event.getString("id", "event-" + event.getString("site", "all"));
            long minutes = event.getLong("minutes", 10L);
            if (minutes < 1 || minutes > 7 * 24 * 60) {
                throw new IllegalArgumentException("minutes must be between 1 and 10080, not " + minutes);
            }
            open(id, event.getString("site"), event.getString("reason", "maintenance"), Instant.now().plusSeconds(minutes * 60),
                    Boolean.TRUE.equals(event.getValue("holdIncidents")));
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring a malformed maintenance.started event (%s): %s", e.getMessage(), String.valueOf(body));
        }
    }

    void ended(Object body) {
        try {
            JsonObject event = body instanceof JsonObject json ? json : new JsonObject(String.valueOf(body));
            close(event.getString("id", "event-" + event.getString("site", "all")));
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring a malformed maintenance.ended event (%s): %s", e.getMessage(), String.valueOf(body));
        }
    }
}
