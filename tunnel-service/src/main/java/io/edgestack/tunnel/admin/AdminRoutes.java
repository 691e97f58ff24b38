package io.edgestack.tunnel.admin;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.tunnel.auth.TokenRejected;
import io.edgestack.tunnel.auth.TunnelTokens;
import io.edgestack.tunnel.config.HostPattern;
import io.edgestack.tunnel.config.TunnelConfig;
import io.edgestack.tunnel.edge.ConnectorListener;
import io.edgestack.tunnel.edge.TunnelDirectory;
import io.edgestack.tunnel.tls.CertificateManager;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The edge's admin API, on the management port only, with a bearer token: {@code GET /admin/tunnels} lists each
 * tunnel with its registered connections; {@code POST /admin/tunnels/{id}/tokens} issues a connector token.
 */
@ApplicationScoped
public class AdminRoutes {

    private static final Logger LOG = Logger.getLogger(AdminRoutes.class);
    private static final Pattern TTL = Pattern.compile("(\\d{1,6})([smhd])");

    private final TunnelConfig config;
    private final TunnelDirectory directory;
    private final ConnectorListener listener;
    private final AdminAuth auth;
    private final CertificateManager certificates;

    public AdminRoutes(TunnelConfig config, TunnelDirectory directory, ConnectorListener listener,
            CertificateManager certificates) {
        this.config = config;
        this.directory = directory;
        this.listener = listener;
        this.certificates = certificates;
        this.auth = new AdminAuth(config.adminToken());
    }

    void routes(@Observes ManagementInterface management) {
        if (config.mode() != TunnelConfig.Mode.EDGE) {
            return;
        }
        management.router().get("/admin/tunnels").handler(this::tunnels);
        management.router().post("/admin/tunnels/:id/tokens").handler(BodyHandler.create().setBodyLimit(16 * 1024))
                .handler(this::issue);
        management.router().get("/admin/certificates").handler(this::certificates);
        management.router().post("/admin/certificates/:host/renew").handler(this::renew);
    }

    private void certificates(RoutingContext context) {
        if (!auth.allow(context)) {
            return;
        }
        context.response().putHeader("Content-Type", "application/json").end(new JsonObject()
                .put("tls", certificates.active()).put("certificates", new JsonArray(certificates.state())).encodePrettily());
    }

    /** Orders a new certificate for the host now; answers once it is served (200) or the order failed (502). */
    private void renew(RoutingContext context) {
        if (!auth.allow(context)) {
            return;
        }
        if (!certificates.active()) {
            problem(context, 409, "TLS is off", "Set edgestack.tunnel.edge.tls.enabled=true to manage certificates.");
            return;
        }
        String host = context.pathParam("host").toLowerCase(java.util.Locale.ROOT);
        certificates.renewNow(host).onComplete(result -> {
            if (result.succeeded()) {
                context.response().putHeader("Content-Type", "application/json").end(new JsonObject().put("host", host)
                        .put("notAfter", result.result().notAfter().toString()).encodePrettily());
            } else if (result.cause() instanceof IllegalArgumentException) {
                problem(context, 404, "No such certificate", result.cause().getMessage());
            } else if (result.cause() instanceof IllegalStateException) {
                problem(context, 409, "Order running", result.cause().getMessage());
            } else {
                problem(context, 502, "Order failed", result.cause().getMessage()
                        + " (the current certificate, if any, stays in service)");
            }
        });
    }

    private void tunnels(RoutingContext context) {
        if (!auth.allow(context)) {
            return;
        }
        context.response().putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("tunnels", directory.state()).encodePrettily());
    }

    /** Body (optional): {@code {"ttl": "30d", "hosts": ["www.example.com"]}}; the tunnel's hosts by default. */
    private void issue(RoutingContext context) {
        if (!auth.allow(context)) {
            return;
        }
        String id = context.pathParam("id");
        TunnelDirectory.Tunnel tunnel = directory.tunnels().get(id);
        if (tunnel == null) {
            problem(context, 404, "No such tunnel", "Tunnel '" + id + "' is not configured on this edge; configured: "
                    + directory.tunnels().keySet());
            return;
        }
        if (!listener.tokens().canSign()) {
            problem(context, 409, "No token secret", "Set EDGESTACK_TUNNEL_EDGE_TOKEN_SECRETS before issuing tokens.");
            return;
        }
        JsonObject body;
        try {
            JsonObject parsed = context.body().length() <= 0 ? null : context.body().asJsonObject();
            body = parsed == null ? new JsonObject() : parsed;
        } catch (RuntimeException e) {
            problem(context, 400, "Invalid token request", "The body must be a JSON object like {\"ttl\": \"30d\"}.");
            return;
        }
        Duration ttl = config.edge().tokenTtl();
        String ttlText = body.getValue("ttl") == null ? null : String.valueOf(body.getValue("ttl"));
        if (ttlText != null) {
            Matcher m = TTL.matcher(ttlText.trim());
            if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
                problem(context, 400, "Invalid ttl", "ttl '" + ttlText + "' is not a positive duration like 3600s, 12h or 30d.");
                return;
            }
            long n = Long.parseLong(m.group(1));
            ttl = switch (m.group(2)) {
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        List<String> hosts;
        try {
            JsonArray wanted = body.getJsonArray("hosts");
            hosts = wanted == null ? tunnel.hosts().stream().map(HostPattern::pattern).toList()
                    : wanted.stream().map(String::valueOf).toList();
            // the same check the listener makes on connect, so a token issued here is one it accepts
            directory.authorize(new TunnelTokens.Claims(id, hosts, Instant.now(), Instant.now().plus(ttl), "check",
                    listener.tokens().caPin()));
        } catch (TokenRejected | ClassCastException e) {
            problem(context, 400, "Invalid hosts", e.getMessage());
            return;
        }
        String token = listener.tokens().issue(id, hosts, ttl);
        TunnelTokens.Claims claims;
        try {
            claims = listener.tokens().verify(token);
        } catch (TokenRejected e) {
            throw new IllegalStateException(e);
        }
        LOG.infof("Issued token %s for tunnel %s (hosts %s, expires %s)", claims.id(), id, hosts, claims.expiresAt());
        context.response().setStatusCode(201).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(new JsonObject().put("token", token).put("tunnel", id).put("hosts", new JsonArray(hosts))
                        .put("id", claims.id()).put("expiresAt", claims.expiresAt().toString()).encodePrettily());
    }

    static void problem(RoutingContext context, int status, String title, String detail) {
        context.response().setStatusCode(status)
                .putHeader("Content-Type", "application/problem+json")
                .end(new JsonObject().put("type", "about:blank").put("title", title).put("status", status)
                        .put("detail", detail).encode());
    }
}
