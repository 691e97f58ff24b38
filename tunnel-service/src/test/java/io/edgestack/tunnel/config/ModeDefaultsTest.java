package io.edgestack.tunnel.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgestack.tunnel.connector.EdgeAddress;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

class ModeDefaultsTest {

    private static SmallRyeConfig config(Map<String, String> user) {
        return new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(user, "user", 250))
                .withSources(new ModeDefaults())
                .build();
    }

    @Test
    void edgeModeServesVisitorsOn8080WithManagementOn9080() {
        SmallRyeConfig config = config(Map.of("edgestack.tunnel.mode", "edge"));
        assertEquals(8080, config.getValue("quarkus.http.port", Integer.class));
        assertEquals(9080, config.getValue("quarkus.management.port", Integer.class));
    }

    @Test
    void connectorModeHasNoPublicPortAndManagementOn9084() {
        SmallRyeConfig config = config(Map.of("edgestack.tunnel.mode", "CONNECTOR"));
        assertFalse(config.getValue("quarkus.http.host-enabled", Boolean.class));
        assertEquals(9084, config.getValue("quarkus.management.port", Integer.class));
    }

    @Test
    void portsTheUserSetsWinOverModeDefaults() {
        SmallRyeConfig config = config(Map.of("edgestack.tunnel.mode", "connector", "quarkus.management.port", "19084"));
        assertEquals(19084, config.getValue("quarkus.management.port", Integer.class));
    }

    @Test
    void malformedEdgeAddressesAreRefusedWithTheKeyNamed() {
        var error = assertThrows(IllegalArgumentException.class, () -> EdgeAddress.parse("edge.example.com"));
        assertEquals("edgestack.tunnel.connector.edge-addresses: 'edge.example.com' is not host:port (example: 127.0.0.1:7844)",
                error.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EdgeAddress.parse("edge:99999"));
        assertEquals(new EdgeAddress("::1", 7844), EdgeAddress.parse("[::1]:7844"));
    }
}
