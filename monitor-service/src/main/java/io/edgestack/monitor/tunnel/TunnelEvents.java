package io.edgestack.monitor.tunnel;

import java.time.Instant;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.monitor.schedule.CheckScheduler;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * What monitor-service does with the edge's {@code tunnel.connector.down} and {@code tunnel.connector.up}
 * ({@code docs/events.md}). When a tunnel's last connection goes, the checks through it run at once rather than at
 * their next turn (an incident, named for the tunnel layer, comes within a run or two instead of an interval), and the
 * status page says the tunnel has no connector; when a connection comes back they run at once again, so the incident
 * is resolved as soon as visitors are served. Unknown fields are ignored; a malformed event is logged and dropped.
 */
@ApplicationScoped
public class TunnelEvents {

    static final String DOWN = "tunnel.connector.down";
    static final String UP = "tunnel.connector.up";

    private static final Logger LOG = Logger.getLogger(TunnelEvents.class);

    private final Tunnels tunnels;
    private final CheckScheduler scheduler;

    public TunnelEvents(Tunnels tunnels, CheckScheduler scheduler) {
        this.tunnels = tunnels;
        this.scheduler = scheduler;
    }

    void consume(@Observes StartupEvent start, Vertx vertx) {
        vertx.eventBus().consumer(DOWN, message -> on(DOWN, message.body()));
        vertx.eventBus().consumer(UP, message -> on(UP, message.body()));
    }

    private void on(String address, Object body) {
        JsonObject event;
        String tunnel;
        int connections;
        Instant at;
        try {
            event = body instanceof JsonObject json ? json : new JsonObject(String.valueOf(body));
            tunnel = event.getString("tunnel");
            Integer count = event.getInteger("connections");
            if (tunnel == null || tunnel.isBlank() || count == null || count < 0) {
                LOG.warnf("Ignoring %s without a tunnel or a count of connections: %s", address, event.encode());
                return;
            }
            connections = count;
            String when = event.getString("at");
            at = when == null ? Instant.now() : Instant.parse(when);
        } catch (RuntimeException e) {
            LOG.warnf("Ignoring a malformed %s event (%s): %s", address, e.getMessage(), String.valueOf(body));
            return;
        }
        if (connections == 0) {
            if (tunnels.lost(tunnel, at, event.getString("reason"))) {
                List<String> run = scheduler.runNow(spec -> spec.through(tunnel));
                LOG.infof("Tunnel %s has no connector left (%s): checking %s now", tunnel,
                        event.getString("reason", "no reason given"), run);
            }
        } else if (tunnels.back(tunnel)) {
            List<String> run = scheduler.runNow(spec -> spec.through(tunnel));
            LOG.infof("Tunnel %s has a connector again (%d connection(s)): checking %s now", tunnel, connections, run);
        }
    }
}
