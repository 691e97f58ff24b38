package io.edgestack.proxy.site;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import io.edgestack.proxy.upstream.PoolSpec;

/**
 * Parses the {@code upstream} block of a route, with the same key-naming errors as the rest of the sites file.
 */
final class UpstreamSpecs {

    private UpstreamSpecs() {
    }

    static PoolSpec parse(JsonNode node, String key) {
        SitesLoader.allowOnly(node, key + ".", Set.of("targets", "policy", "hash-header", "timeouts", "retries", "health",
                "passive", "strip-prefix", "intercept-errors", "host-header", "request-headers", "response-headers"));
        JsonNode targetList = node.get("targets");
        if (targetList == null) {
            throw new SiteConfigException(key + ".targets", "is required: a list of http://, https:// or h2c:// URLs");
        }
        SitesLoader.requireArray(targetList, key + ".targets");
        if (targetList.isEmpty()) {
            throw new SiteConfigException(key + ".targets", "must name at least one server");
        }
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < targetList.size(); i++) {
            String target = SitesLoader.text(targetList, key + ".targets[" + i + "]", targetList.get(i));
            checkUrl(key + ".targets[" + i + "]", target);
            if (!targets.isEmpty() && isH2c(target) != isH2c(targets.get(0))) {
                // one client speaks to a pool: HTTP/2 with prior knowledge, or HTTP/1.1 (Caddy asks the same of its upstreams)
                throw new SiteConfigException(key + ".targets[" + i + "]", "'" + target + "' must be " + (isH2c(targets.get(0))
                        ? "an h2c:// URL, as the pool's first target is" : "an http:// or https:// URL, as the pool's first target is")
                        + ": a pool speaks HTTP/2 in clear text (h2c://) to all its servers or to none");
            }
            targets.add(target);
        }
        String policy = node.has("policy") ? SitesLoader.text(node, key + ".policy", node.get("policy")) : "round-robin";
        if (!PoolSpec.POLICIES.contains(policy)) {
            throw new SiteConfigException(key + ".policy", "'" + policy + "' is not one of " + String.join(", ", PoolSpec.POLICIES));
        }
        String hashHeader = node.has("hash-header") ? SitesLoader.text(node, key + ".hash-header", node.get("hash-header")) : null;
        if (policy.equals("header-hash") && hashHeader == null) {
            throw new SiteConfigException(key + ".hash-header", "is required by policy header-hash");
        }
        JsonNode timeouts = node.path("timeouts");
        if (!timeouts.isMissingNode()) {
            SitesLoader.allowOnly(timeouts, key + ".timeouts.", Set.of("connect", "first-byte", "idle"));
        }
        JsonNode passive = node.path("passive");
        if (!passive.isMissingNode()) {
            SitesLoader.allowOnly(passive, key + ".passive.", Set.of("failures", "window", "cooldown"));
        }
        Duration firstByte = duration(timeouts, "first-byte", "30s", key + ".timeouts");
        Duration idle = duration(timeouts, "idle", "60s", key + ".timeouts");
        if (firstByte.compareTo(idle) > 0) {
            throw new SiteConfigException(key + ".timeouts.first-byte", "(" + firstByte.toMillis()
                    + " ms) must not exceed timeouts.idle (" + idle.toMillis() + " ms): an upstream connection that stays silent"
                    + " for the idle timeout is closed");
        }
        return new PoolSpec(List.copyOf(targets), policy, hashHeader,
                duration(timeouts, "connect", "2s", key + ".timeouts"),
                firstByte,
                idle,
                integer(node, "retries", 1, 0, 10, key),
                health(node.get("health"), key + ".health", isH2c(targets.get(0))),
                integer(passive, "failures", 3, 0, 1000, key + ".passive"),
                duration(passive, "window", "30s", key + ".passive"),
                duration(passive, "cooldown", "30s", key + ".passive"),
                bool(node, "strip-prefix", false, key),
                bool(node, "intercept-errors", true, key),
                headerRules(node, key));
    }

    /**
     * {@code host-header: upstream | <name>}, {@code request-headers} and {@code response-headers}: mappings of a header
     * name to the value it is set to, or to null to remove it.
     */
    private static io.edgestack.proxy.upstream.HeaderRules headerRules(JsonNode node, String key) {
        String host = null;
        if (node.hasNonNull("host-header")) {
            host = SitesLoader.text(node, key + ".host-header", node.get("host-header")).toLowerCase(java.util.Locale.ROOT);
            if (!host.equals(io.edgestack.proxy.upstream.HeaderRules.UPSTREAM) && !host.equals(io.edgestack.proxy.upstream.HeaderRules.VISITOR)
                    && !host.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?")) {
                throw new SiteConfigException(key + ".host-header", "'" + host + "' is not 'upstream' (the chosen server's "
                        + "name), 'visitor' (the visitor's Host) or a host name (with an optional :port)");
            }
        }
        java.util.Map<String, String> requestSet = new java.util.LinkedHashMap<>();
        List<String> requestRemove = new ArrayList<>();
        headerChanges(node.get("request-headers"), key + ".request-headers", requestSet, requestRemove);
        java.util.Map<String, String> responseSet = new java.util.LinkedHashMap<>();
        List<String> responseRemove = new ArrayList<>();
        headerChanges(node.get("response-headers"), key + ".response-headers", responseSet, responseRemove);
        if (host == null && requestSet.isEmpty() && requestRemove.isEmpty() && responseSet.isEmpty() && responseRemove.isEmpty()) {
            return io.edgestack.proxy.upstream.HeaderRules.NONE;
        }
        return new io.edgestack.proxy.upstream.HeaderRules(host, requestSet, requestRemove, responseSet, responseRemove);
    }

    private static void headerChanges(JsonNode node, String key, java.util.Map<String, String> set, List<String> remove) {
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw new SiteConfigException(key, "must map header names to a value, or to null to remove the header");
        }
        for (var fields = node.fields(); fields.hasNext(); ) {
            var field = fields.next();
            String name = field.getKey();
            String fieldKey = key + "." + name;
            if (!io.edgestack.proxy.http.HeaderNames.TOKEN.matcher(name).matches()) {
                throw new SiteConfigException(fieldKey, "is not a header name");
            }
            if (io.edgestack.proxy.upstream.HeaderRules.REFUSED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                throw new SiteConfigException(fieldKey, "frames the message or belongs to the connection: the proxy sets it"
                        + (name.equalsIgnoreCase("host") ? " (host-header chooses the Host the upstream is asked for)" : ""));
            }
            if (field.getValue().isNull()) {
                remove.add(name);
                continue;
            }
            String value = SitesLoader.text(node, fieldKey, field.getValue());
            if (!io.edgestack.proxy.http.HeaderNames.printable(value)) {
                throw new SiteConfigException(fieldKey, "has a control character");
            }
            set.put(name, value);
        }
    }

    private static PoolSpec.HealthSpec health(JsonNode node, String key, boolean h2c) {
        if (node == null) {
            return null;
        }
        SitesLoader.allowOnly(node, key + ".", Set.of("path", "interval", "timeout", "expect-status", "healthy-after",
                "unhealthy-after", "grpc-service"));
        String path = node.has("path") ? SitesLoader.text(node, key + ".path", node.get("path")) : "/";
        if (!path.startsWith("/")) {
            throw new SiteConfigException(key + ".path", "'" + path + "' must start with '/'");
        }
        String grpcService = null;
        if (node.has("grpc-service")) {
            JsonNode service = node.get("grpc-service");
            if (!service.isNull() && !service.isTextual()) {
                throw new SiteConfigException(key + ".grpc-service", "must be a service's name (\"\": the server as a whole)");
            }
            grpcService = service.isNull() ? "" : service.asText(); // empty: the server as a whole
            if (!h2c) {
                throw new SiteConfigException(key + ".grpc-service", "asks the gRPC health service, which only an h2c:// pool's"
                        + " servers speak");
            }
            for (String field : List.of("path", "expect-status")) {
                if (node.has(field)) {
                    throw new SiteConfigException(key + "." + field, "not with grpc-service (the gRPC health service has its"
                            + " own path, and answers SERVING or not)");
                }
            }
        }
        return new PoolSpec.HealthSpec(path, duration(node, "interval", "10s", key), duration(node, "timeout", "2s", key),
                integer(node, "expect-status", 200, 100, 599, key), integer(node, "healthy-after", 2, 1, 100, key),
                integer(node, "unhealthy-after", 3, 1, 100, key), grpcService);
    }

    private static void checkUrl(String key, String target) {
        try {
            URI uri = new URI(target);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()) || "h2c".equals(uri.getScheme()))
                    || uri.getHost() == null) {
                throw new SiteConfigException(key, "'" + target + "' must be an http://, https:// or h2c:// (HTTP/2 in clear"
                        + " text, as gRPC servers speak) URL with a host");
            }
            if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
                throw new SiteConfigException(key, "'" + target + "' must not have a path (routes choose paths)");
            }
        } catch (URISyntaxException e) {
            throw new SiteConfigException(key, "'" + target + "' is not a URL: " + e.getReason());
        }
    }

    private static boolean isH2c(String target) {
        return target.regionMatches(true, 0, "h2c:", 0, 4);
    }

    static Duration duration(JsonNode node, String field, String fallback, String key) {
        JsonNode value = node.get(field);
        return Durations.parse(key + "." + field, value == null ? fallback : SitesLoader.text(node, key + "." + field, value));
    }

    static int integer(JsonNode node, String field, int fallback, int min, int max, String key) {
        JsonNode value = node.get(field);
        if (value == null) {
            return fallback;
        }
        if (!value.canConvertToInt() || value.asInt() < min || value.asInt() > max) {
            throw new SiteConfigException(key + "." + field, "must be a whole number from " + min + " to " + max);
        }
        return value.asInt();
    }

    static boolean bool(JsonNode node, String field, boolean fallback, String key) {
        JsonNode value = node.get(field);
        if (value == null) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw new SiteConfigException(key + "." + field, "must be true or false");
        }
        return value.asBoolean();
    }
}
