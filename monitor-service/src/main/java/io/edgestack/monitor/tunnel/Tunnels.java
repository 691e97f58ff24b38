package io.edgestack.monitor.tunnel;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.edgestack.monitor.check.CheckSpec;

/**
 * The tunnels the edge says have no connector left, from its {@code tunnel.connector.down} and {@code up} events
 * ({@link TunnelEvents}): shown on the status page and API, and named in the incidents of the checks that go through
 * them ({@link CheckSpec#through}).
 */
@ApplicationScoped
public class Tunnels {

    /** A tunnel with no live connection since {@code since}, and why its last one went. */
    public record Down(String tunnel, Instant since, String reason) {

        /** One line for people: "tunnel site has no connector since 16:40:12 UTC (heartbeats missed)". */
        public String describe() {
            return "tunnel " + tunnel + " has no connector since "
                    + since.atZone(java.time.ZoneOffset.UTC).toLocalTime().withNano(0) + " UTC"
                    + (reason == null || reason.isBlank() ? "" : " (" + reason + ")");
        }
    }

    private final Map<String, Down> down = new ConcurrentHashMap<>();

    /** Records that {@code tunnel} lost its last connection; false when it was already known so. */
    boolean lost(String tunnel, Instant since, String reason) {
        return down.putIfAbsent(tunnel, new Down(tunnel, since, reason)) == null;
    }

    /** Records that {@code tunnel} has a connection again; false when it was not known down. */
    boolean back(String tunnel) {
        return down.remove(tunnel) != null;
    }

    /** The tunnels without a connector now, by name. */
    public List<Down> down() {
        return down.values().stream().sorted(Comparator.comparing(Down::tunnel)).toList();
    }

    /** The tunnel without a connector that {@code spec} goes through, or null. */
    public Down downFor(CheckSpec spec) {
        return down.values().stream().filter(d -> spec.through(d.tunnel())).min(Comparator.comparing(Down::tunnel))
                .orElse(null);
    }
}
