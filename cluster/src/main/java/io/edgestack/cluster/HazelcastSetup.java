package io.edgestack.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.cp.SemaphoreConfig;

/**
 * The Hazelcast configuration of one member: what vertx-hazelcast's default-cluster.xml declares (the maps and multimap
 * the event bus needs), then the network from {@link ClusterSettings}. Nothing leaves the configured host: no multicast, no auto-detection,
 * no phone-home, no bind on every interface.
 */
public final class HazelcastSetup {

    private HazelcastSetup() {
    }

    /**
     * The configuration of a member that could not join: TCP-IP join with no one to ask, so it forms a cluster of
     * one at once. The service keeps working; its events stay local until it is restarted.
     */
    public static Config alone(ClusterSettings settings) {
        Config config = config(settings);
        config.getNetworkConfig().getJoin().getKubernetesConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).clear();
        return config;
    }

    public static Config config(ClusterSettings settings) {
        Config config = vertxStructures(new Config());
        config.setClusterName(settings.name());

        // Start-up time: Hazelcast waits 5 s before it joins and up to 5 min for a merge; on one box or in a pod
        // network the others answer in milliseconds, so a member looks for join-timeout and then starts alone.
        // Members that started alone at the same moment find each other through the split-brain merge.
        long joinSeconds = Math.max(1, settings.joinTimeout().toSeconds());
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.max.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        config.setProperty("hazelcast.tcp.join.port.try.count", String.valueOf(settings.portCount()));
        // Quiet and local: no usage report over the internet, logs through the service's own logging.
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "jdk");
        config.setProperty("hazelcast.health.monitoring.level", "OFF");
        // Vert.x leaves the cluster when Quarkus closes it; Hazelcast's own hook would race it.
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.graceful.shutdown.max.wait", "10");
        // A member that dies is noticed in seconds, not the default minute.
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "10");
        config.setProperty("hazelcast.socket.bind.any", "false");

        // Less to start: Hazelcast's own metrics collection and Jet are not used by the event bus.
        config.getMetricsConfig().setEnabled(false);
        config.getJetConfig().setEnabled(false);
        config.setProperty("hazelcast.security.recommendations", "false");
        // Sized for a suite (a handful of members holding the event bus's subscriptions), not a data grid: fewer
        // partitions to create and migrate when a member joins, fewer threads per member. Every member of a cluster
        // must agree on the partition count, which is why it is fixed here and not a setting.
        config.setProperty("hazelcast.partition.count", "23");
        config.setProperty("hazelcast.io.thread.count", "1");
        config.setProperty("hazelcast.event.thread.count", "1");
        config.setProperty("hazelcast.operation.thread.count", "2");
        config.setProperty("hazelcast.operation.generic.thread.count", "1");
        config.setProperty("hazelcast.operation.priority.generic.thread.count", "1");
        // A partition's migration (its share of the subscriptions and node information: a few kilobytes) is given
        // 30 s rather than Hazelcast's 5 min. While one is under way the partition refuses writes; a migration
        // operation lost between members that joined at the same moment (their connections to each other raced)
        // held two partitions "migrating" for over two minutes, until Vert.x gave up writing a new member's node
        // information and that service exited (ComposeIT, 2026-12-07). Timed out, the migration is planned again,
        // and the write, which Hazelcast retries for two minutes, goes through.
        config.setProperty("hazelcast.partition.migration.timeout", "30");

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.port()).setPortAutoIncrement(true).setPortCount(settings.portCount());
        // This member binds its one address and announces it. Interface matching is not used for that: Hazelcast
        // also filters the TCP-IP member list through it, which drops every other container's address.
        config.setProperty("hazelcast.local.localAddress", settings.host());
        network.getInterfaces().setEnabled(false);
        network.setPublicAddress(settings.host());

        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getAwsConfig().setEnabled(false);
        join.getGcpConfig().setEnabled(false);
        join.getAzureConfig().setEnabled(false);
        join.getEurekaConfig().setEnabled(false);
        if (settings.kubernetesServiceDns().isPresent()) {
            join.getTcpIpConfig().setEnabled(false);
            join.getKubernetesConfig().setEnabled(true)
                    .setProperty("service-dns", settings.kubernetesServiceDns().get())
                    .setProperty("service-dns-timeout", String.valueOf(Math.max(joinSeconds, 2)))
                    .setProperty("service-port", String.valueOf(settings.port()));
        } else {
            join.getKubernetesConfig().setEnabled(false);
            join.getTcpIpConfig().setEnabled(true).setMembers(settings.members())
                    .setConnectionTimeoutSeconds((int) Math.max(joinSeconds, 1));
        }
        return config;
    }

    /**
     * The structures vertx-hazelcast 4.5's default-cluster.xml declares, built here rather than read from that file:
     * it names the Hazelcast 4.2 schema, which Hazelcast 5 warns about at every start, and its network section
     * (multicast) is replaced anyway. Event bus subscriptions live in the multimap; the two maps hold the members'
     * node and HA information; the semaphores back Vert.x's cluster-wide locks (unused by edgestack).
     */
    static Config vertxStructures(Config config) {
        config.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
                .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
        config.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
        config.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
        config.getCPSubsystemConfig().setCPMemberCount(0)
                .addSemaphoreConfig(new SemaphoreConfig("__vertx.*", false, 1));
        return config;
    }
}
