package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

import com.hazelcast.config.Config;

class ClusterSettingsTest {

    private static ClusterSettings read(Map<String, String> values) {
        SmallRyeConfig config = new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(values, "test", 500))
                .build();
        return ClusterSettings.from(config);
    }

    @Test
    void offByDefaultWithLoopbackDefaults() {
        ClusterSettings settings = read(Map.of());
        assertFalse(settings.enabled());
        assertEquals("edgestack", settings.name());
        assertEquals("127.0.0.1", settings.host());
        assertEquals(List.of("127.0.0.1"), settings.members());
        assertEquals(Duration.ofSeconds(2), settings.joinTimeout());
        assertEquals(0, settings.busPort());
        assertEquals(5710, read(Map.of("edgestack.cluster.bus-port", "5710")).busPort());
        assertEquals(Duration.ofMillis(500), read(Map.of("edgestack.cluster.join-timeout", "500ms")).joinTimeout());
    }

    @Test
    void aHostNameIsResolvedToTheAddressThisMemberAnnounces() {
        assertEquals("127.0.0.1", read(Map.of("edgestack.cluster.host", "localhost")).host());
        assertEquals("edgestack.cluster.host: 'no-such-host.invalid' is invalid: this name does not resolve; give this "
                + "member's IP address or a name that resolves to it", assertThrows(IllegalArgumentException.class,
                        () -> read(Map.of("edgestack.cluster.host", "no-such-host.invalid"))).getMessage());
    }

    @Test
    void badValuesNameTheKey() {
        assertEquals("edgestack.cluster.port: 'seventy' is invalid: not a whole number", assertThrows(
                IllegalArgumentException.class, () -> read(Map.of("edgestack.cluster.port", "seventy"))).getMessage());
        assertEquals("edgestack.cluster.name: 'my suite' is invalid: use 1 to 64 letters, digits, '.', '_' or '-'",
                assertThrows(IllegalArgumentException.class, () -> read(Map.of("edgestack.cluster.name", "my suite")))
                        .getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> read(Map.of("edgestack.cluster.members", "10.0.0.5:http"))).getMessage()
                .startsWith("edgestack.cluster.members: '10.0.0.5:http' is invalid"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> read(Map.of("edgestack.cluster.port", "65530", "edgestack.cluster.port-count", "20"))).getMessage()
                .startsWith("edgestack.cluster.port-count: '20' is invalid"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> read(Map.of("edgestack.cluster.enabled", "true", "edgestack.cluster.members", " , "))).getMessage()
                .contains("kubernetes.service-dns"));
    }

    @Test
    void tcpIpJoinStaysOnTheConfiguredHost() {
        Config config = HazelcastSetup.config(read(Map.of("edgestack.cluster.enabled", "true",
                "edgestack.cluster.name", "t1", "edgestack.cluster.members", "127.0.0.1, 127.0.0.2:5801")));
        assertEquals("t1", config.getClusterName());
        var join = config.getNetworkConfig().getJoin();
        assertFalse(join.getMulticastConfig().isEnabled());
        assertFalse(join.getAutoDetectionConfig().isEnabled());
        assertTrue(join.getTcpIpConfig().isEnabled());
        assertEquals(List.of("127.0.0.1", "127.0.0.2:5801"), join.getTcpIpConfig().getMembers());
        assertEquals("127.0.0.1", config.getProperty("hazelcast.local.localAddress"));
        assertEquals("127.0.0.1", config.getNetworkConfig().getPublicAddress());
        assertFalse(config.getNetworkConfig().getInterfaces().isEnabled(), "interface matching would filter the members");
        assertEquals("false", config.getProperty("hazelcast.phone.home.enabled"));
        assertEquals("0", config.getProperty("hazelcast.wait.seconds.before.join"));
        assertEquals("30", config.getProperty("hazelcast.partition.migration.timeout"));
        // vertx-hazelcast's own maps are kept
        assertEquals(1, config.getMultiMapConfig("__vertx.subs").getBackupCount());
    }

    @Test
    void declaresTheEventBusStructuresOfVertxHazelcastsOwnConfiguration() {
        // HazelcastSetup builds them instead of reading vertx-hazelcast's XML (whose schema name Hazelcast 5 warns
        // about at every start); a later vertx-hazelcast that changes them is caught here.
        Config theirs = io.vertx.spi.cluster.hazelcast.ConfigUtil.loadConfig();
        Config ours = HazelcastSetup.config(read(Map.of("edgestack.cluster.enabled", "true")));
        assertEquals(theirs.getMultiMapConfigs(), ours.getMultiMapConfigs());
        for (String name : theirs.getMapConfigs().keySet()) {
            assertEquals(theirs.getMapConfig(name), ours.getMapConfig(name), name);
        }
        assertEquals(theirs.getCPSubsystemConfig().getCPMemberCount(), ours.getCPSubsystemConfig().getCPMemberCount());
        // SemaphoreConfig has no equals: compared by what it prints (name, jdk-compatible, initial permits)
        assertEquals(theirs.getCPSubsystemConfig().getSemaphoreConfigs().toString(),
                ours.getCPSubsystemConfig().getSemaphoreConfigs().toString());
        assertEquals(java.util.Set.of("__vertx.haInfo", "__vertx.nodeInfo"), theirs.getMapConfigs().keySet());
    }

    @Test
    void kubernetesDnsDiscoveryReplacesTcpIp() {
        ClusterSettings settings = read(Map.of("edgestack.cluster.enabled", "true", "edgestack.cluster.host", "10.1.2.3",
                "edgestack.cluster.kubernetes.service-dns", "edgestack-cluster.edgestack.svc.cluster.local"));
        assertEquals(Optional.of("edgestack-cluster.edgestack.svc.cluster.local"), settings.kubernetesServiceDns());
        var join = HazelcastSetup.config(settings).getNetworkConfig().getJoin();
        assertFalse(join.getTcpIpConfig().isEnabled());
        assertTrue(join.getKubernetesConfig().isEnabled());
        assertEquals("edgestack-cluster.edgestack.svc.cluster.local", join.getKubernetesConfig().getProperty("service-dns"));
    }
}
