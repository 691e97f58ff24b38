package io.edgestack.tunnel.auth;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Connector tokens: {@code est1.<claims>.<signature>}, where claims is base64url JSON (tunnel id, host names, issued
 * at, expiry, token id) and signature is base64url HMAC-SHA256 over {@code est1.<claims>} with the edge's token
 * secret. The first configured secret signs; every configured secret verifies, so a secret can be rotated without
 * refusing the connectors still holding tokens signed with the previous one. Signatures are compared in constant time.
 */
public final class TunnelTokens {

    /**
     * @param caPin base64url SHA-256 of the CA of the edge's connector listener, which the connector pins; null
     *        when the listener has no private CA
     */
    public record Claims(String tunnel, List<String> hosts, Instant issuedAt, Instant expiresAt, String id, String caPin) {
    }

    static final String PREFIX = "est1.";
    private static final int MAX_TOKEN_LENGTH = 4096;
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<byte[]> secrets;
    private final Clock clock;
    private volatile String caPin;

    public TunnelTokens(List<String> secrets, Clock clock) {
        this.secrets = secrets.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        this.clock = clock;
    }

    /** Tokens issued from now on carry this CA fingerprint ({@code caf}), for the connector to pin. */
    public void pinCa(String fingerprint) {
        this.caPin = fingerprint;
    }

    public String caPin() {
        return caPin;
    }

    public boolean canSign() {
        return !secrets.isEmpty();
    }

    public String issue(String tunnel, List<String> hosts, Duration ttl) {
        if (secrets.isEmpty()) {
            throw new IllegalStateException("no token secret is configured (edgestack.tunnel.edge.token-secrets)");
        }
        Instant now = clock.instant();
        byte[] id = new byte[12];
        RANDOM.nextBytes(id);
        JsonObject claims = new JsonObject()
                .put("tid", tunnel)
                .put("hosts", new JsonArray(hosts))
                .put("iat", now.getEpochSecond())
                .put("exp", now.plus(ttl).getEpochSecond())
                .put("jti", HexFormat.of().formatHex(id));
        if (caPin != null) {
            claims.put("caf", caPin);
        }
        String body = PREFIX + B64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
        return body + "." + B64.encodeToString(sign(secrets.get(0), body));
    }

    public Claims verify(String token) throws TokenRejected {
        if (token == null || token.isBlank()) {
            throw new TokenRejected("missing", 401, "no token presented (Authorization: Bearer <token>)");
        }
        if (secrets.isEmpty()) {
            throw new TokenRejected("no-secret", 503, "this edge has no token secret configured, so it accepts no connector");
        }
        if (token.length() > MAX_TOKEN_LENGTH || !token.startsWith(PREFIX)) {
            throw new TokenRejected("malformed", 401, "token is not an edgestack tunnel token (est1.…)");
        }
        int dot = token.lastIndexOf('.');
        if (dot <= PREFIX.length()) {
            throw new TokenRejected("malformed", 401, "token has no signature part");
        }
        String body = token.substring(0, dot);
        byte[] presented;
        byte[] claimBytes;
        try {
            presented = B64D.decode(token.substring(dot + 1));
            claimBytes = B64D.decode(body.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new TokenRejected("malformed", 401, "token is not valid base64url");
        }
        boolean valid = false;
        for (byte[] secret : secrets) {
            valid |= MessageDigest.isEqual(sign(secret, body), presented); // every secret is tried: no early exit
        }
        if (!valid) {
            throw new TokenRejected("bad-signature", 401, "token signature does not match any secret of this edge");
        }
        Claims claims;
        try {
            JsonObject json = new JsonObject(new String(claimBytes, StandardCharsets.UTF_8));
            claims = new Claims(json.getString("tid"), json.getJsonArray("hosts").stream().map(String::valueOf).toList(),
                    Instant.ofEpochSecond(json.getLong("iat")), Instant.ofEpochSecond(json.getLong("exp")),
                    json.getString("jti"), json.getString("caf"));
        } catch (RuntimeException e) {
            throw new TokenRejected("malformed", 401, "token claims are not readable");
        }
        Instant now = clock.instant();
        if (!now.isBefore(claims.expiresAt())) {
            throw new TokenRejected("expired", 401, "token " + claims.id() + " of tunnel " + claims.tunnel()
                    + " expired at " + claims.expiresAt());
        }
        if (claims.issuedAt().isAfter(now.plus(CLOCK_SKEW))) {
            throw new TokenRejected("malformed", 401, "token " + claims.id() + " is issued in the future");
        }
        return claims;
    }

    private static byte[] sign(byte[] secret, String body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(body.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
