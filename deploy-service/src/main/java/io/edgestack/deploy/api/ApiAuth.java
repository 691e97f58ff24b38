package io.edgestack.deploy.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.edgestack.deploy.config.DeployConfig;

/**
 * Guards the deploy API ({@code /api/*}) and the history page with the API token: {@code Authorization: Bearer <token>},
 * or HTTP Basic with the token as password (so a browser can open the history page). Compared in constant time
 * (digests of equal length); never logged. Without a configured token these endpoints answer 503.
 */
public class ApiAuth {

    private final byte[] expected;

    public ApiAuth(DeployConfig config) {
        this.expected = config.apiToken().filter(t -> !t.isBlank()).map(ApiAuth::digest).orElse(null);
    }

    @ServerRequestFilter(preMatching = true)
    public Response check(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/api/") && !path.equals("/api") && !path.startsWith("/deployments")) {
            return null;
        }
        if (expected == null) {
            return Problems.of(503, "Deploy API disabled",
                    "Set EDGESTACK_DEPLOY_API_TOKEN (edgestack.deploy.api-token) to use the deploy API.");
        }
        if (MessageDigest.isEqual(expected, digest(presented(request.getHeaderString("Authorization"))))) {
            return null;
        }
        return Response.fromResponse(Problems.of(401, "Unauthorized",
                "A valid token is required (Authorization: Bearer <token>, or Basic with the token as password)."))
                .header("WWW-Authenticate", path.startsWith("/deployments") ? "Basic realm=\"edgestack-deploy\""
                        : "Bearer realm=\"edgestack-deploy\"")
                .build();
    }

    static String presented(String header) {
        if (header == null) {
            return "";
        }
        if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return header.substring(7).trim();
        }
        if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                return colon < 0 ? "" : pair.substring(colon + 1);
            } catch (IllegalArgumentException e) {
                return "";
            }
        }
        return "";
    }

    static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
