package io.edgestack.tunnel.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {

    private static final String SECRET = "file-secret-0123456789-0123456789-0123456789";
    private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    private static final TokenFile.Acceptance ANY = claims -> {
    };

    @TempDir
    Path dir;

    private static TunnelTokens tokens(String secret, Instant at) {
        return new TunnelTokens(List.of(secret), Clock.fixed(at, ZoneOffset.UTC));
    }

    private static boolean ensure(TunnelTokens tokens, TokenFile.Acceptance acceptance, List<String> hosts, Path file,
            Instant at) throws Exception {
        return TokenFile.ensure(tokens, acceptance, "local", hosts, Duration.ofDays(30), file, Clock.fixed(at, ZoneOffset.UTC));
    }

    @Test
    void writesAnAcceptedTokenReadableByItsOwnerOnlyAndKeepsItWhileItIsGood() throws Exception {
        Path file = dir.resolve("tunnel/local.token");
        TunnelTokens edge = tokens(SECRET, START);
        assertTrue(ensure(edge, ANY, List.of("*"), file, START));
        String token = Files.readString(file).trim();
        TunnelTokens.Claims claims = edge.verify(token);
        assertEquals("local", claims.tunnel());
        assertEquals(List.of("*"), claims.hosts());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        Instant later = START.plus(Duration.ofDays(19)); // 11 of 30 days left: more than a third
        assertFalse(ensure(tokens(SECRET, later), ANY, List.of("*"), file, later));
        assertEquals(token, Files.readString(file).trim());
        try (var listing = Files.list(file.getParent())) {
            assertEquals(1, listing.count(), "no temporary file is left behind");
        }
    }

    @Test
    void replacesATokenPastTwoThirdsOfItsLifeSignedWithAnotherSecretForOtherHostsRevokedOrUnreadable() throws Exception {
        Path file = dir.resolve("local.token");
        ensure(tokens(SECRET, START), ANY, List.of("*"), file, START);
        String first = Files.readString(file);

        Instant late = START.plus(Duration.ofDays(21)); // 9 of 30 days left
        assertTrue(ensure(tokens(SECRET, late), ANY, List.of("*"), file, late));
        String renewed = Files.readString(file);
        assertNotEquals(first, renewed);

        String other = "other-secret-0123456789-0123456789-0123456789";
        assertTrue(ensure(tokens(other, late), ANY, List.of("*"), file, late));
        tokens(other, late).verify(Files.readString(file).trim());

        assertTrue(ensure(tokens(other, late), ANY, List.of("www.example.com"), file, late));
        assertEquals(List.of("www.example.com"), tokens(other, late).verify(Files.readString(file).trim()).hosts());

        TokenFile.Acceptance revoked = claims -> {
            throw new TokenRejected("revoked", 401, "issued before the rotation");
        };
        String before = Files.readString(file);
        assertTrue(ensure(tokens(other, late), revoked, List.of("www.example.com"), file, late));
        assertNotEquals(before, Files.readString(file));

        Files.writeString(file, "not a token\n");
        assertTrue(ensure(tokens(other, late), ANY, List.of("*"), file, late));
        tokens(other, late).verify(Files.readString(file).trim());
    }
}
