package io.edgestack.tunnel.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgestack.tunnel.config.TunnelConfig;

/** A rule's origin TLS and Host over the connector's defaults, and each setting's error naming the key it came from. */
class OriginTlsTest {

    record Request(Optional<Boolean> noTlsVerify, Optional<String> originServerName, Optional<String> caPool,
            Optional<String> httpHostHeader) implements TunnelConfig.OriginRequest {

        Request(Optional<Boolean> noTlsVerify, Optional<String> originServerName, Optional<String> caPool) {
            this(noTlsVerify, originServerName, caPool, Optional.empty());
        }
    }

    static final Request NONE = new Request(Optional.empty(), Optional.empty(), Optional.empty());
    static final String RULE = "edgestack.tunnel.connector.ingress[2].origin-request";
    static final String DEFAULTS = "edgestack.tunnel.connector.origin-request";

    @Test
    void aRuleTakesTheConnectorsSettingsItDoesNotSetItself(@TempDir Path dir) throws Exception {
        assertEquals(OriginTls.DEFAULT, OriginTls.of(NONE, RULE, NONE, DEFAULTS));
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        Request defaults = new Request(Optional.empty(), Optional.of("origin.internal"), Optional.of(ca.toString()));
        assertEquals(new OriginTls(false, "origin.internal", ca.toString()), OriginTls.of(NONE, RULE, defaults, DEFAULTS));
        assertEquals(new OriginTls(false, "nas.local", ca.toString()),
                OriginTls.of(new Request(Optional.empty(), Optional.of("nas.local"), Optional.empty()), RULE, defaults, DEFAULTS));
        assertEquals(new OriginTls(true, null, null),
                OriginTls.of(new Request(Optional.of(true), Optional.empty(), Optional.empty()), RULE, NONE, DEFAULTS));
    }

    @Test
    void eachProblemNamesTheKeyItCameFrom(@TempDir Path dir) throws Exception {
        String missing = dir.resolve("nope.pem").toString();
        assertEquals(DEFAULTS + ".ca-pool: " + missing + " is not a readable file (PEM CA certificates)",
                assertThrows(IllegalArgumentException.class, () -> OriginTls.of(NONE, RULE,
                        new Request(Optional.empty(), Optional.empty(), Optional.of(missing)), DEFAULTS)).getMessage());
        Path text = Files.writeString(dir.resolve("notes.txt"), "not a certificate");
        assertEquals(RULE + ".ca-pool: " + text + " holds no PEM certificate",
                assertThrows(IllegalArgumentException.class, () -> OriginTls.of(
                        new Request(Optional.empty(), Optional.empty(), Optional.of(text.toString())), RULE, NONE, DEFAULTS)).getMessage());
        assertEquals(RULE + ".origin-server-name: 'nas local' is not a host name",
                assertThrows(IllegalArgumentException.class, () -> OriginTls.of(
                        new Request(Optional.empty(), Optional.of("nas local"), Optional.empty()), RULE, NONE, DEFAULTS)).getMessage());
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        assertEquals(RULE + ".ca-pool: no-tls-verify is also set, which would ignore it: keep one",
                assertThrows(IllegalArgumentException.class, () -> OriginTls.of(
                        new Request(Optional.of(true), Optional.empty(), Optional.of(ca.toString())), RULE, NONE, DEFAULTS)).getMessage());
    }

    @Test
    void aRuleMayNameTheHostItsOriginIsAskedWith() {
        Request named = new Request(Optional.empty(), Optional.empty(), Optional.empty(), Optional.of("nas.internal:5001"));
        assertEquals(null, Ingress.hostHeader(NONE, RULE, NONE, DEFAULTS), "the visitor's");
        assertEquals("nas.internal:5001", Ingress.hostHeader(NONE, RULE, named, DEFAULTS));
        assertEquals("[::1]:8080", Ingress.hostHeader(new Request(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of("[::1]:8080")), RULE, named, DEFAULTS));
        assertEquals(RULE + ".http-host-header: 'a b' is not a host name with an optional port",
                assertThrows(IllegalArgumentException.class, () -> Ingress.hostHeader(new Request(Optional.empty(),
                        Optional.empty(), Optional.empty(), Optional.of("a b")), RULE, NONE, DEFAULTS)).getMessage());
    }
}
