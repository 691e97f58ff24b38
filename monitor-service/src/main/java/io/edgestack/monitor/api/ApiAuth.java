package io.edgestack.monitor.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.edgestack.monitor.config.MonitorConfig;

/**
 * Guards what changes monitoring or shows alert contents ({@code /api/checks}, {@code /api/alerts},
 * {@code /api/maintenance}, and changes to {@code /api/announcements}) with the API token, compared in constant time and never logged. The status, the incident
 * history and push heartbeats stay public (a push carries its own token).
 */
public class ApiAuth {

    private final byte[] expected;

    public ApiAuth(MonitorConfig config) {
        this.expected = expected(config);
    }

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        boolean announcing = path.startsWith("/api/announcements") && !request.getMethod().equals("GET");
        if (!path.startsWith("/api/checks") && !path.startsWith("/api/alerts") && !path.startsWith("/api/maintenance")
                && !announcing) {
            return null;
        }
        if (expected == null) {
            return Problems.of(503, "Monitor API disabled",
                    "Set EDGESTACK_MONITOR_API_TOKEN (edgestack.monitor.api-token) to use this part of the API.");
        }
        if (authorized(expected, request.getHeaderString("Authorization"))) {
            return null;
        }
        return Response.fromResponse(Problems.of(401, "Unauthorized", "A valid bearer token is required."))
                .header("WWW-Authenticate", "Bearer realm=\"edgestack-monitor\"").build();
    }

    /** The digest of the configured API token, or null while none is configured. */
    static byte[] expected(MonitorConfig config) {
        return config.apiToken().filter(t -> !t.isBlank()).map(ApiAuth::digest).orElse(null);
    }

    /** Whether an {@code Authorization} header carries the token of digest {@code expected} (never when it is null). */
    static boolean authorized(byte[] expected, String header) {
        if (expected == null || header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(expected, digest(header.substring(7).trim()));
    }

    static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
