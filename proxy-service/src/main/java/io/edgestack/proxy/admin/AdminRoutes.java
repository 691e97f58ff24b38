package io.edgestack.proxy.admin;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.proxy.config.ProxyConfig;
import io.edgestack.proxy.site.SiteConfigException;
import io.edgestack.proxy.site.SiteRegistry;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The admin API, on the management port only: {@code POST /admin/reload} re-reads the sites file. An invalid file is
 * refused with its error and the sites in force keep serving.
 */
@ApplicationScoped
public class AdminRoutes {

    private static final Logger LOG = Logger.getLogger(AdminRoutes.class);

    private final SiteRegistry registry;
    private final Vertx vertx;
    private final AdminAuth auth;

    public AdminRoutes(ProxyConfig config, SiteRegistry registry, Vertx vertx) {
        this.registry = registry;
        this.vertx = vertx;
        this.auth = new AdminAuth(config.adminToken());
    }

    void routes(@Observes ManagementInterface management) {
        management.router().post("/admin/reload").handler(this::reload);
    }

    private void reload(RoutingContext context) {
        if (!auth.allow(context)) {
            return;
        }
        vertx.executeBlocking(registry::reload, false).onComplete(result -> {
            if (result.succeeded()) {
                var active = result.result();
                LOG.infof("Sites reloaded through the admin API");
                context.response().putHeader("Content-Type", "application/json").end(new JsonObject()
                        .put("sites", active.sites().all().size()).put("pools", active.pools().size()).encode());
            } else if (result.cause() instanceof SiteConfigException invalid) {
                Problems.send(context, 400, "Invalid sites file", invalid.getMessage() + " (the previous sites keep serving)");
            } else {
                LOG.error("Reload failed", result.cause());
                Problems.send(context, 500, "Reload failed", String.valueOf(result.cause().getMessage()));
            }
        });
    }
}
