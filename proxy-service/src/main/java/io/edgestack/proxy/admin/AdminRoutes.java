package io.edgestack.proxy.admin;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.proxy.cache.HttpCache;
import io.edgestack.proxy.config.ProxyConfig;
import io.edgestack.proxy.files.StaticFiles;
import io.edgestack.proxy.site.Site;
import io.edgestack.proxy.site.SiteConfigException;
import io.edgestack.proxy.site.SiteRegistry;
import io.quarkus.vertx.http.ManagementInterface;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The admin API, on the management port only, with a bearer token: {@code POST /admin/reload} re-reads the sites file
 * (an invalid file is refused with its error and the sites in force keep serving); {@code POST /admin/purge} empties
 * the edge cache, wholly or by URL, prefix or tag.
 */
@ApplicationScoped
public class AdminRoutes {

    private static final Logger LOG = Logger.getLogger(AdminRoutes.class);

    private final SiteRegistry registry;
    private final Vertx vertx;
    private final AdminAuth auth;
    private final HttpCache cache;
    private final StaticFiles staticFiles;

    public AdminRoutes(ProxyConfig config, SiteRegistry registry, Vertx vertx, HttpCache cache, StaticFiles staticFiles) {
        this.registry = registry;
        this.cache = cache;
        this.staticFiles = staticFiles;
        this.vertx = vertx;
        this.auth = new AdminAuth(config.adminToken());
    }

    void routes(@Observes ManagementInterface management) {
        management.router().post("/admin/reload").handler(this::reload);
        management.router().post("/admin/purge").handler(BodyHandler.create().setBodyLimit(1024 * 1024)).handler(this::purge);
    }

    /**
     * {@code POST /admin/purge} with one of {@code {"everything": true}}, {@code {"urls": [...]}},
     * {@code {"prefixes": [...]}} (URLs or {@code host/path} prefixes) or {@code {"tags": [...]}}. Answers with the
     * number of entries removed once they are gone; static sites re-read their release at once.
     */
    private void purge(RoutingContext context) {
        if (!auth.allow(context)) {
            return;
        }
        JsonObject body;
        try {
            body = context.body().asJsonObject();
        } catch (RuntimeException e) {
            Problems.send(context, 400, "Invalid purge request", "The body must be a JSON object.");
            return;
        }
        if (body == null) {
            Problems.send(context, 400, "Invalid purge request",
                    "Nothing to purge: send {\"everything\": true}, {\"urls\": [...]}, {\"prefixes\": [...]} or {\"tags\": [...]}.");
            return;
        }
        String kind;
        java.util.concurrent.Callable<Integer> action;
        JsonArray targets;
        try {
            if (body.getBoolean("everything", false)) {
                kind = "everything";
                targets = new JsonArray();
                action = cache::purgeEverything;
            } else if (body.containsKey("urls")) {
                kind = "urls";
                targets = list(body, "urls");
                List<String> keys = new ArrayList<>();
                for (Object url : targets) {
                    URI uri = url((String) url, "urls");
                    Site site = registry.sites().forHost(uri.getHost());
                    keys.addAll(HttpCache.primaryKeys(uri, site.edgeCache().ignoreQuery()));
                }
                action = () -> cache.purgeKeys(keys);
            } else if (body.containsKey("prefixes")) {
                kind = "prefixes";
                targets = list(body, "prefixes");
                List<String> prefixes = new ArrayList<>();
                for (Object prefix : targets) {
                    String text = (String) prefix;
                    URI uri = url(text.contains("://") ? text : "http://" + text, "prefixes");
                    String host = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
                    prefixes.add(host.toLowerCase(java.util.Locale.ROOT) + (uri.getRawPath() == null ? "" : uri.getRawPath()));
                }
                action = () -> cache.purgePrefixes(prefixes);
            } else if (body.containsKey("tags")) {
                kind = "tags";
                targets = list(body, "tags");
                List<String> tags = targets.stream().map(String.class::cast).toList();
                action = () -> cache.purgeTags(tags);
            } else {
                throw new IllegalArgumentException(
                        "Nothing to purge: send {\"everything\": true}, {\"urls\": [...]}, {\"prefixes\": [...]} or {\"tags\": [...]}.");
            }
        } catch (IllegalArgumentException e) {
            Problems.send(context, 400, "Invalid purge request", e.getMessage());
            return;
        }
        JsonArray purged = targets;
        String purgedKind = kind;
        vertx.executeBlocking(action, false).onComplete(result -> {
            if (result.failed()) {
                LOG.error("Purge failed", result.cause());
                Problems.send(context, 500, "Purge failed", String.valueOf(result.cause().getMessage()));
                return;
            }
            int removed = result.result();
            staticFiles.recheck();
            JsonObject event = new JsonObject().put("version", 1).put("kind", purgedKind).put("targets", purged)
                    .put("removed", removed).put("at", java.time.Instant.now().toString());
            vertx.eventBus().publish("cache.purged", event);
            LOG.infof("Purged %d cache entries (%s %s)", removed, purgedKind, purged.encode());
            context.response().putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("purged", removed).put("kind", purgedKind).encode());
        });
    }

    private static JsonArray list(JsonObject body, String field) {
        Object value = body.getValue(field);
        if (!(value instanceof JsonArray array) || array.isEmpty()) {
            throw new IllegalArgumentException("'" + field + "' must be a non-empty list of strings.");
        }
        for (Object item : array) {
            if (!(item instanceof String text) || text.isBlank()) {
                throw new IllegalArgumentException("'" + field + "' must be a non-empty list of strings.");
            }
        }
        return array;
    }

    private URI url(String text, String field) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + text + "' in " + field + " is not a URL: " + e.getReason() + ".");
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException("'" + text + "' in " + field + " must be an http:// or https:// URL with a host.");
        }
        if (!registry.sites().serves(uri.getHost())) {
            throw new IllegalArgumentException("'" + uri.getHost() + "' in " + field + " is not a host this proxy serves.");
        }
        return uri;
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
