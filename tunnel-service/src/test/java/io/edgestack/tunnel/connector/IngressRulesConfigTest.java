package io.edgestack.tunnel.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgestack.tunnel.config.TunnelConfig;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * The connector's ingress rules read from configuration as the service reads them: cloudflared's TCP services and its
 * regular-expression paths.
 */
class IngressRulesConfigTest {

    private static Ingress ingress(String... keyValues) {
        return ingress(Map.of(), keyValues);
    }

    private static Ingress ingress(Map<String, String> environment, String... keyValues) {
        Map<String, String> properties = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.put("edgestack.tunnel.connector.ingress" + keyValues[i], keyValues[i + 1]);
        }
        TunnelConfig config = new SmallRyeConfigBuilder().withMapping(TunnelConfig.class)
                .withConverter(java.time.Duration.class, 100, new io.quarkus.runtime.configuration.DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 250))
                .withSources(new io.smallrye.config.EnvConfigSource(environment, 300))
                .build().getConfigMapping(TunnelConfig.class);
        return Ingress.from(config.connector());
    }

    @Test
    void aRulesAccessTokenMayComeFromTheEnvironmentAsTheReadmeSays() {
        Ingress ingress = ingress(Map.of("EDGESTACK_TUNNEL_CONNECTOR_INGRESS_0__ACCESS_TOKEN", "from-env"),
                "[0].hostname", "ssh.example.com", "[0].service", "ssh://127.0.0.1", "[1].service", "http_status:404");
        assertEquals("from-env", ingress.match("ssh.example.com", "/").accessToken());
    }

    private static String refused(String... keyValues) {
        return assertThrows(IllegalArgumentException.class, () -> ingress(keyValues)).getMessage();
    }

    @Test
    void tcpSshRdpAndSmbServicesAreTcpRulesWithTheirUsualPorts() {
        Ingress ingress = ingress("[0].hostname", "db.example.com", "[0].service", "tcp://127.0.0.1:5432",
                "[0].access-token", "s3cret-token",
                "[1].hostname", "ssh.example.com", "[1].service", "ssh://localhost",
                "[2].hostname", "rdp.example.com", "[2].service", "rdp://10.0.0.5",
                "[3].hostname", "files.example.com", "[3].service", "smb://[::1]",
                "[4].service", "http://127.0.0.1:8081");
        Ingress.Rule db = ingress.match("db.example.com", "/");
        assertTrue(db.isTcp());
        assertEquals("tcp://127.0.0.1:5432", db.origin().toString());
        assertEquals("s3cret-token", db.accessToken());
        assertFalse(db.toString().contains("s3cret"), "the token stays out of logs: " + db);
        assertEquals("tcp://localhost:22", ingress.match("ssh.example.com", "/").origin().toString());
        assertNull(ingress.match("ssh.example.com", "/").accessToken());
        assertEquals("tcp://10.0.0.5:3389", ingress.match("rdp.example.com", "/").origin().toString());
        assertEquals("tcp://[::1]:445", ingress.match("files.example.com", "/").origin().toString());
        assertFalse(ingress.match("www.example.com", "/").isTcp());
        assertTrue(ingress.hasTcp());
        assertFalse(ingress("[0].service", "http://127.0.0.1:8081").hasTcp());
    }

    @Test
    void aBadTcpRuleIsRefusedNamingItsKey() {
        assertEquals("edgestack.tunnel.connector.ingress[0].service: 'tcp://127.0.0.1' must be tcp://host:port (example: "
                + "tcp://127.0.0.1:5432)", refused("[0].service", "tcp://127.0.0.1"));
        assertEquals("edgestack.tunnel.connector.ingress[0].service: 'ssh://host:22/home' must be ssh://host[:port] (example: "
                + "ssh://127.0.0.1:22)", refused("[0].service", "ssh://host:22/home"));
        assertEquals("edgestack.tunnel.connector.ingress[0].access-token: only a tcp://, ssh://, rdp:// or smb:// service takes "
                + "an access token (an HTTP service checks its own visitors)",
                refused("[0].service", "http://127.0.0.1:8081", "[0].access-token", "t"));
        assertTrue(refused("[0].service", "ftp://127.0.0.1:21").endsWith("must be http://host:port or https://host:port, "
                + "tcp://host:port (or ssh://, rdp://, smb://), or http_status:NNN"));
    }

    @Test
    void aPathWithRegexCharactersIsCloudflaredsRegularExpressionAndAPlainOneAPrefix() {
        Ingress ingress = ingress("[0].hostname", "static.example.com", "[0].path", "\\.(jpg|png|css|js)$",
                "[0].service", "http://127.0.0.1:8001",
                "[1].path", "^/api/v[0-9]+/", "[1].service", "http://127.0.0.1:8002",
                "[2].path", "/static/v1.2", "[2].service", "http://127.0.0.1:8003",
                "[3].service", "http://127.0.0.1:8004");
        assertEquals(8001, ingress.match("static.example.com", "/img/logo.png?v=3").origin().getPort());
        assertEquals(8004, ingress.match("static.example.com", "/logo.png.html").origin().getPort(), "anchored at the end");
        assertEquals(8004, ingress.match("www.example.com", "/logo.png").origin().getPort(), "the rule's host still applies");
        assertEquals(8002, ingress.match("any", "/api/v2/users").origin().getPort());
        assertEquals(8004, ingress.match("any", "/api/vx/users").origin().getPort());
        assertEquals(8003, ingress.match("any", "/static/v1.2/app.js").origin().getPort(), "a plain path: a prefix");
        assertEquals(8004, ingress.match("any", "/static/v1x2/app.js").origin().getPort(), "its dot is a dot");
        assertEquals(8004, ingress.match("any", "/static/v1.2x").origin().getPort(), "on segment boundaries");
        assertEquals("edgestack.tunnel.connector.ingress[0].path: '^/api/(v1' is neither a path (/api) nor a regular "
                + "expression (Unclosed group near index 9)", refused("[0].path", "^/api/(v1", "[0].service", "http://127.0.0.1:1",
                        "[1].service", "http_status:404"));
    }
}
