package io.edgestack.tunnel.connector;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.tunnel.config.TunnelConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

/**
 * In connector mode, keeps track of which configured edge addresses accept a TCP connection, probing each one on a
 * fixed interval from the event loop. Readiness uses it until tunnel sessions are registered.
 */
@ApplicationScoped
public class EdgeReachability {

    private static final Logger LOG = Logger.getLogger(EdgeReachability.class);

    private final TunnelConfig config;
    private final Vertx vertx;
    private final Map<String, String> state = new ConcurrentHashMap<>();
    private NetClient client;
    private long timer = -1;

    public EdgeReachability(TunnelConfig config, Vertx vertx) {
        this.config = config;
        this.vertx = vertx;
    }

    void start(@Observes StartupEvent event) {
        if (config.mode() != TunnelConfig.Mode.CONNECTOR) {
            return;
        }
        for (String address : config.connector().edgeAddresses()) {
            EdgeAddress.parse(address); // fail start on a malformed address, naming it
            state.put(address, "not probed yet");
        }
        client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2000));
        probeAll();
        timer = vertx.setPeriodic(config.connector().probeInterval().toMillis(), id -> probeAll());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        if (client != null) {
            client.close();
        }
    }

    /** Address → "reachable" or the reason it is not. */
    public Map<String, String> state() {
        return Map.copyOf(state);
    }

    public boolean anyReachable() {
        return state.containsValue("reachable");
    }

    private void probeAll() {
        for (String address : config.connector().edgeAddresses()) {
            EdgeAddress edge = EdgeAddress.parse(address);
            client.connect(edge.port(), edge.host()).onComplete(result -> {
                String now = result.succeeded() ? "reachable" : "unreachable: " + result.cause().getMessage();
                String before = state.put(address, now);
                if (result.succeeded()) {
                    result.result().close();
                }
                if (!now.equals(before)) {
                    LOG.infof("Edge %s is %s", address, now);
                }
            });
        }
    }
}
