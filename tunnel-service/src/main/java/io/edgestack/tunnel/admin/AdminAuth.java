package io.edgestack.tunnel.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

import io.vertx.ext.web.RoutingContext;

/**
 * Bearer-token check for the edge's admin API: the token comes from configuration, is compared in constant time
 * (digests of equal length), and is never logged.
 */
final class AdminAuth {

    private final byte[] expected;

    AdminAuth(Optional<String> token) {
        this.expected = token.filter(t -> !t.isBlank()).map(AdminAuth::digest).orElse(null);
    }

    /** Answers the request itself (503, 401) and returns false when it may not go on. */
    boolean allow(RoutingContext context) {
        if (expected == null) {
            AdminRoutes.problem(context, 503, "Admin API disabled",
                    "Set EDGESTACK_TUNNEL_ADMIN_TOKEN (edgestack.tunnel.admin-token) to use the admin API.");
            return false;
        }
        String header = context.request().getHeader("Authorization");
        String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        if (!MessageDigest.isEqual(expected, digest(presented))) {
            context.response().putHeader("WWW-Authenticate", "Bearer realm=\"edgestack-tunnel\"");
            AdminRoutes.problem(context, 401, "Unauthorized", "A valid bearer token is required (Authorization: Bearer <token>).");
            return false;
        }
        return true;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
