package io.edgestack.deploy.rollback;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.edgestack.deploy.deployment.Deployer;
import io.edgestack.deploy.deployment.Deployment;
import io.edgestack.deploy.deployment.DeploymentStore;
import io.edgestack.deploy.release.ReleaseStore;
import io.quarkus.vertx.ConsumeEvent;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.json.JsonObject;

/**
 * Deploy-aware incident handling: when monitor-service reports an incident on a site that began within the rollback
 * window after a deploy went live (and that deploy is still live), roll back to the release before it, mark the
 * deploy's release failed, and say why on both deployments. Incidents arrive as an authenticated HTTP command
 * ({@code POST /api/incidents}) or as {@code monitor.incident.opened} events.
 */
@ApplicationScoped
public class AutoRollback {

    private static final Logger LOG = Logger.getLogger(AutoRollback.class);

    private final Deployer deployer;
    private final DeploymentStore store;
    private final ReleaseStore releases;

    public AutoRollback(Deployer deployer, DeploymentStore store, ReleaseStore releases) {
        this.deployer = deployer;
        this.store = store;
        this.releases = releases;
    }

    /** What was done about an incident: {@code action} is rolled-back or none, and {@code reason} says why. */
    public record Decision(String action, String reason, Deployment rollback) {
    }

    public Decision incident(String site, String summary, Instant openedAt) {
        Duration window = deployer.site(site).rollbackWindow();
        if (window.isZero() || window.isNegative()) {
            return none("automatic rollback is off for " + site + " (rollback-window = 0)");
        }
        Optional<Deployment> last = store.lastLive(site);
        if (last.isEmpty()) {
            return none(site + " has no deployment that went live");
        }
        Deployment deploy = last.get();
        if (!"deploy".equals(deploy.kind())) {
            return none("the last switch of " + site + " was a rollback (#" + deploy.id() + "), not a deploy");
        }
        Instant switched = deploy.switchedAt();
        if (openedAt.isBefore(switched.minusSeconds(1))) {
            return none("the incident began before deployment #" + deploy.id() + " went live, so the deploy is not its cause");
        }
        if (openedAt.isAfter(switched.plus(window))) {
            return none("the incident began " + Duration.between(switched, openedAt).toSeconds() + " s after deployment #"
                    + deploy.id() + " went live, outside the " + window.toSeconds() + " s rollback window");
        }
        if (!deploy.release().equals(releases.live(site))) {
            return none("the release of deployment #" + deploy.id() + " is no longer live");
        }
        if (deploy.previousRelease() == null) {
            return none("deployment #" + deploy.id() + " made the first release of " + site + ": nothing to roll back to");
        }
        String why = "incident within " + window.toSeconds() + " s of deployment #" + deploy.id() + ": " + summary;
        try {
            Deployment rollback = deployer.rollback(site, deploy.previousRelease(), false, "monitor", "monitor-service",
                    why, true);
            store.note(deploy.id(), (deploy.reason() == null ? "" : deploy.reason() + "; ")
                    + "rolled back automatically by #" + rollback.id() + " (" + summary + ")");
            LOG.warnf("Rolled %s back to %s automatically: %s", site, deploy.previousRelease(), why);
            return new Decision("rolled-back", why, rollback);
        } catch (Deployer.RollbackRefused e) {
            return none("rollback refused: " + e.getMessage());
        }
    }

    /** The same, from the event bus; malformed events are logged and dropped. */
    @ConsumeEvent(value = "monitor.incident.opened", local = false)
    @Blocking
    void onIncident(JsonObject event) {
        try {
            String site = event.getString("site");
            String opened = event.getString("openedAt", event.getString("at"));
            if (site == null) {
                LOG.warnf("Ignoring monitor.incident.opened without a site: %s", event.encode());
                return;
            }
            if (event.getValue("deploy") instanceof JsonObject asked) {
                LOG.debugf("Incident on %s already decided over HTTP: %s", site, asked.encode());
                return;
            }
            JsonObject incident = event.getValue("incident") instanceof JsonObject json ? json : new JsonObject();
            String layer = incident.getValue("layer") instanceof String text ? text : null;
            if ("stale".equals(incident.getValue("cause")) || "tunnel".equals(layer) || "proxy".equals(layer)) {
                LOG.infof("Incident on %s: none (the %s failed, not the release)", site,
                        layer == null ? "origin application" : layer + " layer");
                return;
            }
            Decision decision = incident(site, event.getString("summary", event.getString("cause", "incident")),
                    opened == null ? Instant.now() : Instant.parse(opened));
            LOG.infof("Incident on %s: %s (%s)", site, decision.action(), decision.reason());
        } catch (Deployer.UnknownSite e) {
            LOG.debugf("Incident on a site this deploy-service does not deploy: %s", e.getMessage());
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring a malformed monitor.incident.opened event (%s): %s", e.getMessage(), event.encode());
        }
    }

    private static Decision none(String reason) {
        return new Decision("none", reason, null);
    }
}
