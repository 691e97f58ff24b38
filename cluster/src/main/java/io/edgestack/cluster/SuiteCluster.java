package io.edgestack.cluster;

import java.util.List;
import java.util.UUID;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import io.quarkus.vertx.VertxOptionsCustomizer;
import io.vertx.core.Promise;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import com.hazelcast.cluster.MembershipEvent;

/**
 * Makes the service's Vert.x a member of the suite's clustered event bus, with Hazelcast as the cluster manager.
 * Quarkus calls this before it creates Vert.x; when {@code edgestack.cluster.enabled} is true,
 * {@code quarkus.vertx.cluster.clustered} follows it (see this module's microprofile-config.properties) and Quarkus
 * creates a clustered Vert.x with the manager installed here.
 *
 * <p>A member that finds no other starts alone and keeps doing its own job; it merges with the others when they
 * appear. The state is in the readiness details ({@link ClusterReadiness}) and the metrics ({@link ClusterMetrics}).
 */
@Singleton
public class SuiteCluster implements VertxOptionsCustomizer {

    private static final Logger LOG = Logger.getLogger(SuiteCluster.class);

    /** This process, as publishers of events name themselves (stable for the life of the process). */
    private final String processId = UUID.randomUUID().toString();
    private volatile ClusterSettings settings = ClusterSettings.off();
    private volatile HazelcastClusterManager manager;
    private volatile long joinMillis = -1;
    private volatile boolean isolated;

    @Override
    public void accept(VertxOptions options) {
        ClusterSettings read = ClusterSettings.from(ConfigProvider.getConfig());
        settings = read;
        if (!read.enabled()) {
            return;
        }
        options.getEventBusOptions().setHost(read.host()).setClusterPublicHost(read.host());
        if (read.busPort() > 0) {
            options.getEventBusOptions().setPort(read.busPort()).setClusterPublicPort(read.busPort());
        }
        HazelcastClusterManager timed = new Member(HazelcastSetup.config(read));
        manager = timed;
        options.setClusterManager(timed);
        LOG.debugf("Event bus cluster '%s': %s, this member on %s", read.name(), read.discovery(), read.host());
    }

    /**
     * Joins; a join that fails (a peer that went away half-way, DNS that does not answer) is tried once more, and
     * then this member starts alone rather than stopping the service.
     */
    private void attempt(Member target, Promise<Void> promise, long started, int attempt) {
        ClusterSettings read = settings;
        Promise<Void> joined = Promise.promise();
        joined.future().onComplete(result -> {
            if (result.failed() && attempt < 3) {
                String next = attempt == 1 ? "trying again" : "starting alone: events stay in this process";
                LOG.errorf("Event bus cluster '%s' could not be joined (%s): %s; %s", read.name(), read.discovery(),
                        result.cause().getMessage(), next);
                if (attempt == 2) {
                    isolated = true;
                    target.setConfig(HazelcastSetup.alone(read));
                }
                attempt(target, promise, started, attempt + 1);
                return;
            }
            joinMillis = (System.nanoTime() - started) / 1_000_000;
            if (result.succeeded()) {
                LOG.infof("Event bus cluster '%s' joined in %d ms: %d member(s), this one %s (%s)",
                        read.name(), joinMillis, target.getNodes().size(), read.host(), read.discovery());
            }
            promise.handle(result);
        });
        target.joinOnce(joined);
    }

    /** The Hazelcast cluster manager, joined through {@link #attempt}. */
    private final class Member extends HazelcastClusterManager {

        Member(com.hazelcast.config.Config config) {
            super(config);
        }

        @Override
        public void join(Promise<Void> promise) {
            attempt(this, promise, System.nanoTime(), 1);
        }

        void joinOnce(Promise<Void> promise) {
            super.join(promise);
        }

        // Members coming and going, one line each (Hazelcast's own connection and suspicion warnings are quieted:
        // a member that stops gracefully looked like one that died).
        @Override
        public synchronized void memberAdded(MembershipEvent event) {
            super.memberAdded(event);
            LOG.infof("Event bus member %s joined: %d member(s)", event.getMember().getAddress(), event.getMembers().size());
        }

        @Override
        public synchronized void memberRemoved(MembershipEvent event) {
            super.memberRemoved(event);
            LOG.infof("Event bus member %s left: %d member(s)", event.getMember().getAddress(), event.getMembers().size());
        }
    }

    public ClusterSettings settings() {
        return settings;
    }

    /** An id for this process that every replica's events carry, so a replica can tell its own events apart. */
    public String processId() {
        return processId;
    }

    /** Whether this process is on a clustered event bus right now. */
    public boolean clustered() {
        HazelcastClusterManager current = manager;
        return current != null && current.isActive();
    }

    /** How many members the cluster has as this one sees it (0 when clustering is off or this member has left). */
    public int members() {
        HazelcastClusterManager current = manager;
        if (current == null || !current.isActive()) {
            return 0;
        }
        try {
            List<String> nodes = current.getNodes();
            return nodes.size();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** How long the join took, in milliseconds; -1 before it finished or when clustering is off. */
    public long joinMillis() {
        return joinMillis;
    }

    /**
     * off, joining, alone (no other member found yet; it merges with them when they appear), isolated (the join
     * failed and this member runs on its own until restarted), joined, or left (was a member and is no longer).
     */
    public String state() {
        if (!settings.enabled()) {
            return "off";
        }
        HazelcastClusterManager current = manager;
        if (current == null || joinMillis < 0) {
            return "joining";
        }
        if (!current.isActive()) {
            return "left";
        }
        if (isolated) {
            return "isolated";
        }
        return members() > 1 ? "joined" : "alone";
    }
}
