package io.edgestack.tunnel.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

class TunnelTokensTest {

    private static final String OLD = "old-secret-0123456789-0123456789-0123456789";
    private static final String NEW = "new-secret-0123456789-0123456789-0123456789";
    private final Clock now = Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void aTokenCarriesItsTunnelAndHostsAndVerifies() throws TokenRejected {
        TunnelTokens tokens = new TunnelTokens(List.of(NEW), now);
        TunnelTokens.Claims claims = tokens.verify(tokens.issue("site", List.of("www.example.com"), Duration.ofDays(1)));
        assertEquals("site", claims.tunnel());
        assertEquals(List.of("www.example.com"), claims.hosts());
        assertEquals(Instant.parse("2026-11-25T12:00:00Z"), claims.expiresAt());
    }

    @Test
    void bothSecretsVerifyDuringARotationAndOnlyTheFirstSigns() throws TokenRejected {
        String signedWithOld = new TunnelTokens(List.of(OLD), now).issue("site", List.of("*"), Duration.ofDays(1));
        TunnelTokens rotating = new TunnelTokens(List.of(NEW, OLD), now);
        rotating.verify(signedWithOld);
        String signedWithNew = rotating.issue("site", List.of("*"), Duration.ofDays(1));
        new TunnelTokens(List.of(NEW), now).verify(signedWithNew);
        assertEquals("bad-signature",
                assertThrows(TokenRejected.class, () -> new TunnelTokens(List.of(NEW), now).verify(signedWithOld)).code);
    }

    @Test
    void refusesTamperedExpiredAndMalformedTokensWithAReason() {
        TunnelTokens tokens = new TunnelTokens(List.of(NEW), now);
        String token = tokens.issue("site", List.of("www.example.com"), Duration.ofHours(1));
        String[] parts = token.split("\\.");
        String otherClaims = tokens.issue("admin", List.of("*"), Duration.ofHours(1)).split("\\.")[1];
        assertEquals("bad-signature", assertThrows(TokenRejected.class,
                () -> tokens.verify(parts[0] + "." + otherClaims + "." + parts[2])).code);
        TunnelTokens later = new TunnelTokens(List.of(NEW), Clock.offset(now, Duration.ofHours(2)));
        TokenRejected expired = assertThrows(TokenRejected.class, () -> later.verify(token));
        assertEquals("expired", expired.code);
        assertEquals(401, expired.status);
        assertEquals("malformed", assertThrows(TokenRejected.class, () -> tokens.verify("est1.%%%.abc")).code);
        assertEquals("malformed", assertThrows(TokenRejected.class, () -> tokens.verify("bearer-something")).code);
        assertEquals("missing", assertThrows(TokenRejected.class, () -> tokens.verify(" ")).code);
        assertEquals("no-secret", assertThrows(TokenRejected.class, () -> new TunnelTokens(List.of(), now).verify(token)).code);
    }
}
