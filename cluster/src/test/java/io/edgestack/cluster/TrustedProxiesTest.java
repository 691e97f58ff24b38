package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.vertx.core.net.SocketAddress;

class TrustedProxiesTest {

    private final TrustedProxies trusted = TrustedProxies.parse("edgestack.proxy.trusted-proxies", List.of("10.1.0.0/16", "192.168.1.10", "::1/128", "fd00::/8"));

    @Test
    void addressesInsideTheBlocksAreTrustedAndOthersNot() {
        assertTrue(trusted.trusts("10.1.255.3"));
        assertFalse(trusted.trusts("10.2.0.1"));
        assertTrue(trusted.trusts("192.168.1.10"));
        assertFalse(trusted.trusts("192.168.1.11"));
        assertTrue(trusted.trusts("0:0:0:0:0:0:0:1"));
        assertTrue(trusted.trusts("fd12:3456::1"));
        assertFalse(trusted.trusts("fe80::1"));
        assertTrue(trusted.trusts(SocketAddress.inetSocketAddress(443, "10.1.2.3")));
    }

    @Test
    void theAnswerRememberedForOnePeerIsNotGivenToAnother() {
        for (int i = 0; i < 3; i++) {
            assertTrue(trusted.trusts("10.1.0.7"));
            assertTrue(trusted.trusts("10.1.0.7"));
            assertFalse(trusted.trusts("203.0.113.9"));
            assertFalse(trusted.trusts("203.0.113.9"));
        }
    }

    @Test
    void whatIsNotAnAddressLiteralIsNotTrusted() {
        assertFalse(trusted.trusts("localhost"));
        assertFalse(trusted.trusts((String) null));
        assertFalse(trusted.trusts((SocketAddress) null));
        assertFalse(TrustedProxies.parse("edgestack.proxy.trusted-proxies", List.of()).trusts("10.1.0.1"));
    }

    @Test
    void aBadEntryIsNamedInTheError() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> TrustedProxies.parse("edgestack.proxy.trusted-proxies", List.of("10.0.0.0/8", "10.0.0.0/33")));
        assertEquals("edgestack.proxy.trusted-proxies: '10.0.0.0/33' is not an IP address or CIDR block", error.getMessage());
    }
}
