package io.edgestack.monitor.store;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.monitor.config.MonitorConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/**
 * Keeps the database small: writes out the packed results every {@code flush-interval} (and at shutdown), and every 10
 * minutes drops packed results past {@code raw-retention} (their hourly aggregates stay) and hours past
 * {@code hourly-retention}.
 */
@ApplicationScoped
public class Retention {

    private static final Logger LOG = Logger.getLogger(Retention.class);

    private final MonitorStore store;
    private final Vertx vertx;
    private final MonitorConfig config;

    public Retention(MonitorStore store, Vertx vertx, MonitorConfig config) {
        this.store = store;
        this.vertx = vertx;
        this.config = config;
    }

    void start(@Observes StartupEvent event) {
        vertx.setPeriodic(config.flushInterval().toMillis(), id -> vertx.executeBlocking(() -> {
            store.flush();
            return null;
        }, false));
        vertx.setPeriodic(5_000, Duration.ofMinutes(10).toMillis(), id -> vertx.executeBlocking(() -> {
            int[] done = store.rollUp(config.rawRetention(), config.hourlyRetention());
            if (done[0] + done[1] + done[2] + done[3] > 0) {
                LOG.infof("Retention: %d hour(s) of raw results rolled up, %d hour(s), %d failure(s), %d alert(s) deleted",
                        done[0], done[1], done[2], done[3]);
            }
            return null;
        }, false));
    }

    void stop(@Observes ShutdownEvent event) {
        store.flush();
    }
}
