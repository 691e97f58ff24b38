package io.edgestack.proxy.admin;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.edgestack.cluster.SuiteCluster;
import io.edgestack.proxy.cache.HttpCache;
import io.edgestack.proxy.config.ProxyConfig;
import io.edgestack.proxy.files.StaticFiles;
import io.edgestack.proxy.site.Site;
import io.edgestack.proxy.site.SiteConfigException;
import io.edgestack.proxy.site.SiteRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.vertx.ConsumeEvent;
import io.quarkus.vertx.http.ManagementInterface;
import io.smallrye.common.annotation.Blocking;
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
    static final String PURGED = "cache.purged";

    private final SiteRegistry registry;
    private final Vertx vertx;
    private final AdminAuth auth;
    private final HttpCache cache;
    private final StaticFiles staticFiles;
    private final SuiteCluster cluster;
    private final Counter replicaPurges;

    public AdminRoutes(ProxyConfig config, SiteRegistry registry, Vertx vertx, HttpCache cache, StaticFiles staticFiles,
            SuiteCluster cluster, MeterRegistry meters) {
        this.registry = registry;
        this.cluster = cluster;
        this.replicaPurges = Counter.builder("edgestack.proxy.replica.purges")
                .description("Purges made on another proxy replica and applied to this one's cache").register(meters);
        this.cache = cache;
        this.staticFiles = staticFiles;
        this.vertx = vertx;
        this.auth = new AdminAuth(config.adminToken());
    }

    void routes(@Observes ManagementInterface management) {
        management.router().post("/admin/reload").handler(this::reload);
        management.router().post("/admin/purge").handler(BodyHandler.create().setBodyLimit(1024 * 1024)).handler(this::purge);
        // Cloudflare's purge URL, its zone id ignored: a script written for it needs only its host and token changed
        management.router().post("/client/v4/zones/:zone/purge_cache").handler(BodyHandler.create().setBodyLimit(1024 * 1024))
                .handler(this::purge);
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
            Problems.send(context, 400, "Invalid purge request", "Nothing to purge: " + PURGE_SHAPES + ".");
            return;
        }
        Purge purge;
        try {
            purge = parse(body);
        } catch (IllegalArgumentException e) {
            Problems.send(context, 400, "Invalid purge request", e.getMessage());
            return;
        }
        vertx.executeBlocking(purge.action(), false).onComplete(result -> {
            if (result.failed()) {
                LOG.error("Purge failed", result.cause());
                Problems.send(context, 500, "Purge failed", String.valueOf(result.cause().getMessage()));
                return;
            }
            int removed = result.result();
            staticFiles.recheck();
            // Every other replica on the event bus applies the same purge (replicaPurge); the event names this one.
            JsonObject event = new JsonObject().put("version", 1).put("kind", purge.kind()).put("targets", purge.targets())
                    .put("removed", removed).put("at", java.time.Instant.now().toString())
                    .put("replica", cluster.processId());
            vertx.eventBus().publish(PURGED, event);
            LOG.infof("Purged %d cache entries (%s %s)", removed, purge.kind(), purge.targets().encode());
            context.response().putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("purged", removed).put("kind", purge.kind()).put("success", true).encode());
        });
    }

    /**
     * A purge made on another proxy replica ({@code cache.purged} with another {@code replica}): this replica removes
     * the same entries from its own cache. Events from this replica, or without a replica (older producers), are
     * not applied again; an event that cannot be read is logged and dropped.
     */
    @ConsumeEvent(value = PURGED, local = false)
    @Blocking
    void replicaPurge(JsonObject event) {
        String replica = event.getValue("replica") instanceof String text ? text : null;
        if (replica == null || replica.equals(cluster.processId())) {
            return;
        }
        Purge purge;
        try {
            JsonObject body = "everything".equals(event.getValue("kind")) ? new JsonObject().put("everything", true)
                    : new JsonObject().put(String.valueOf(event.getValue("kind")), event.getValue("targets"));
            purge = parse(body);
        } catch (RuntimeException e) {
            LOG.warnf("Ignored a cache.purged event from replica %s that cannot be applied: %s", replica, e.getMessage());
            return;
        }
        try {
            int removed = purge.action().call();
            staticFiles.recheck();
            replicaPurges.increment();
            LOG.infof("Purged %d cache entries (%s %s) as replica %s did", removed, purge.kind(), purge.targets().encode(),
                    replica);
        } catch (Exception e) {
            LOG.errorf(e, "A purge from replica %s failed here", replica);
        }
    }

    /** What a purge removes: its kind and targets as sent, and the removal to run off the event loop. */
    record Purge(String kind, JsonArray targets, java.util.concurrent.Callable<Integer> action) {
    }

    /** The purge request's fields: edgestack's, then Cloudflare's names for the same purges (its purge_cache API). */
    private static final List<String> PURGE_FIELDS = List.of("everything", "urls", "prefixes", "tags",
            "purge_everything", "files", "hosts");
    private static final String PURGE_SHAPES =
            "send one of {\"everything\": true}, {\"urls\": [...]}, {\"prefixes\": [...]} or {\"tags\": [...]}";

    /**
     * One kind of purge per request, as Cloudflare's API takes it; a field this API does not know is refused (a typo
     * such as {@code paths} purged nothing and said only that there was nothing to purge). Cloudflare's own fields are
     * read too, so that a deploy script written for it works with its URL changed: {@code purge_everything},
     * {@code files} (URLs, or objects with a {@code url}), {@code hosts} (everything under each host), {@code tags},
     * {@code prefixes}.
     */
    private Purge parse(JsonObject body) {
        List<String> kinds = new ArrayList<>();
        for (String field : body.fieldNames()) {
            if (!PURGE_FIELDS.contains(field)) {
                throw new IllegalArgumentException("'" + field + "' is not a field of a purge request: " + PURGE_SHAPES + ".");
            }
            Object value = body.getValue(field);
            // a field sent as null, or everything: false, is no purge (deploy-service's client writes its unset fields as null)
            if (value != null && !((field.equals("everything") || field.equals("purge_everything")) && Boolean.FALSE.equals(value))) {
                kinds.add(field);
            }
        }
        if (kinds.size() > 1) {
            throw new IllegalArgumentException("One kind of purge per request, not " + String.join(" and ", kinds) + ": "
                    + PURGE_SHAPES + ".");
        }
        String kind = kinds.isEmpty() ? null : kinds.get(0);
        if ("everything".equals(kind) || "purge_everything".equals(kind)) {
            if (!Boolean.TRUE.equals(body.getValue(kind))) {
                throw new IllegalArgumentException("'" + kind + "' is true or false.");
            }
            return new Purge("everything", new JsonArray(), cache::purgeEverything);
        } else if ("urls".equals(kind) || "files".equals(kind)) {
            JsonArray targets = "files".equals(kind) ? files(body) : list(body, kind);
            List<String> keys = new ArrayList<>();
            for (Object url : targets) {
                URI uri = url((String) url, kind);
                Site site = registry.sites().forHost(uri.getHost());
                keys.addAll(HttpCache.primaryKeys(uri, site.edgeCache().ignoreQuery()));
            }
            return new Purge("urls", targets, () -> cache.purgeKeys(keys));
        } else if ("hosts".equals(kind)) {
            JsonArray targets = list(body, kind);
            List<String> prefixes = new ArrayList<>();
            for (Object host : targets) { // everything under the host; on any port when it names none
                URI uri = url("http://" + host + "/", kind);
                String name = uri.getHost().toLowerCase(java.util.Locale.ROOT);
                if (uri.getPort() < 0) {
                    prefixes.add(name + "/");
                    prefixes.add(name + ":");
                } else {
                    prefixes.add(name + ":" + uri.getPort() + "/");
                }
            }
            return new Purge("hosts", targets, () -> cache.purgePrefixes(prefixes));
        } else if ("prefixes".equals(kind)) {
            JsonArray targets = list(body, kind);
            List<String> prefixes = new ArrayList<>();
            for (Object prefix : targets) {
                String text = (String) prefix;
                URI uri = url(text.contains("://") ? text : "http://" + text, kind);
                String host = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
                prefixes.add(host.toLowerCase(java.util.Locale.ROOT) + (uri.getRawPath() == null ? "" : uri.getRawPath()));
            }
            return new Purge("prefixes", targets, () -> cache.purgePrefixes(prefixes));
        } else if ("tags".equals(kind)) {
            JsonArray targets = list(body, "tags");
            List<String> tags = targets.stream().map(String.class::cast).toList();
            return new Purge("tags", targets, () -> cache.purgeTags(tags));
        }
        throw new IllegalArgumentException("Nothing to purge: " + PURGE_SHAPES + ".");
    }

    /** Cloudflare's {@code files}: URLs, or objects whose {@code url} is one (their {@code headers} pick a variant there). */
    private static JsonArray files(JsonObject body) {
        Object value = body.getValue("files");
        if (value instanceof JsonArray array) {
            JsonArray urls = new JsonArray();
            for (Object item : array) {
                urls.add(item instanceof JsonObject object && object.getValue("url") instanceof String url ? url : item);
            }
            return list(new JsonObject().put("files", urls), "files");
        }
        return list(body, "files");
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
