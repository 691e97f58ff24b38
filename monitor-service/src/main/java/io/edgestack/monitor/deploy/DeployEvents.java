package io.edgestack.monitor.deploy;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.monitor.alert.Alerter;
import io.edgestack.monitor.schedule.CheckScheduler;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * What monitor-service does with deploy-service's events ({@code docs/events.md}): after {@code deploy.completed} and
 * {@code deploy.rolled-back} the site's checks are watched at a faster interval, so that a bad release opens an
 * incident (and deploy-service rolls it back) within seconds; those and {@code deploy.failed} go to the alert channels
 * that take deploys. Unknown fields are ignored; a malformed event is logged and dropped.
 */
@ApplicationScoped
public class DeployEvents {

    private static final Logger LOG = Logger.getLogger(DeployEvents.class);

    private final CheckScheduler scheduler;
    private final Alerter alerter;
    private final Vertx vertx;

    public DeployEvents(CheckScheduler scheduler, Alerter alerter, Vertx vertx) {
        this.scheduler = scheduler;
        this.alerter = alerter;
        this.vertx = vertx;
    }

    /**
     * Consumers on the (clustered) event bus for any body type: a body that is not a JSON object is logged and
     * dropped here rather than refused by a codec.
     */
    void consume(@Observes StartupEvent start, Vertx vertx) {
        vertx.eventBus().consumer("deploy.completed", message -> onSwitch("deploy.completed", message.body()));
        vertx.eventBus().consumer("deploy.rolled-back", message -> onSwitch("deploy.rolled-back", message.body()));
        vertx.eventBus().consumer("deploy.failed", message -> {
            JsonObject event = read("deploy.failed", message.body());
            if (event != null) {
                tell("deploy.failed", event);
            }
        });
    }

    /** The event as a JSON object with a site, or null (logged) when it is not one. */
    private static JsonObject read(String address, Object body) {
        try {
            JsonObject event = body instanceof JsonObject json ? json : new JsonObject(String.valueOf(body));
            String site = event.getString("site");
            if (site == null || site.isBlank()) {
                LOG.warnf("Ignoring %s without a site: %s", address, event.encode());
                return null;
            }
            return event;
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring a malformed %s event (%s): %s", address, e.getMessage(), String.valueOf(body));
            return null;
        }
    }

    private void tell(String address, JsonObject event) {
        vertx.executeBlocking(() -> {
            alerter.deploy(address, event);
            return null;
        }, false).onFailure(e -> LOG.warnf("Could not record the alerts of %s for %s: %s", address, event.getString("site"), e.toString()));
    }

    private void onSwitch(String address, Object body) {
        JsonObject event = read(address, body);
        if (event == null) {
            return;
        }
        try {
            scheduler.watch(event.getString("site"), event.getString("release"), event.getString("previousRelease"));
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring a malformed %s event (%s): %s", address, e.getMessage(), event.encode());
            return;
        }
        tell(address, event);
    }
}
