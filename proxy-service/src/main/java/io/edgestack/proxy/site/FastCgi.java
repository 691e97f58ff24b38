package io.edgestack.proxy.site;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import io.vertx.core.net.SocketAddress;

/**
 * A route that runs the site's PHP through a FastCGI server (PHP-FPM), as Caddy's {@code php_fastcgi}: the site's live
 * release holds the scripts and the static files; a path to a {@code .php} file (with any path info after it) runs that
 * script, a folder with an {@code index.php} runs it, an existing file is served as a static file would be, and
 * anything else runs the release's {@code index.php} (a front controller: WordPress, Laravel, Symfony).
 *
 * @param address as written: {@code host:port} or {@code unix:/path/to/php-fpm.sock}
 * @param server where the FastCGI server listens
 * @param root the folder the FastCGI server sees the site's releases folder as ({@code <releases-root>/<site>}), or
 *        null: the same path as the proxy (both on one machine, or the same mount in both containers)
 * @param index the script a folder runs ({@code index.php}), and the front controller
 * @param split what ends a script's name in a path ({@code .php}; compared without case)
 * @param connectTimeout to connect to the FastCGI server
 * @param readTimeout the longest silence of the FastCGI server while it answers (504 before the answer's head)
 * @param env more parameters passed to every script ({@code APP_ENV: production})
 * @param keepalive connections to the server at most, kept open between requests; a request waits for one while all
 *        are busy (0: one connection a request, closed by the server once it has answered, no limit); PHP-FPM's
 *        {@code pm.max_children} or fewer, since it holds a worker to each open connection, idle or not
 */
public record FastCgi(String address, SocketAddress server, String root, String index, String split, Duration connectTimeout,
        Duration readTimeout, Map<String, String> env, int keepalive) {

    static FastCgi parse(JsonNode node, String key) {
        if (node == null || !node.isObject()) {
            throw new SiteConfigException(key, "must be a mapping with an address (fastcgi: {address: 127.0.0.1:9000})");
        }
        SitesLoader.allowOnly(node, key + ".", Set.of("address", "root", "index", "split", "connect-timeout", "read-timeout", "env",
                "keepalive"));
        String address = SitesLoader.text(node, key + ".address", node.get("address"));
        SocketAddress server;
        if (address.startsWith("unix:")) {
            String path = address.substring("unix:".length()).replaceFirst("^//", "");
            if (!path.startsWith("/")) {
                throw new SiteConfigException(key + ".address", "'" + address + "' is not unix:/path/to/socket");
            }
            server = SocketAddress.domainSocketAddress(path);
        } else {
            int colon = address.lastIndexOf(':');
            int port = -1;
            try {
                port = colon > 0 ? Integer.parseInt(address.substring(colon + 1)) : -1;
            } catch (NumberFormatException e) {
                // below
            }
            String host = colon > 0 ? address.substring(0, colon).replace("[", "").replace("]", "") : "";
            if (port < 1 || port > 65535 || host.isEmpty() || address.contains("/")) {
                throw new SiteConfigException(key + ".address", "'" + address + "' is not host:port or unix:/path/to/socket");
            }
            server = SocketAddress.inetSocketAddress(port, host);
        }
        String root = node.hasNonNull("root") ? SitesLoader.text(node, key + ".root", node.get("root")) : null;
        if (root != null && !root.startsWith("/")) {
            throw new SiteConfigException(key + ".root", "'" + root + "' must be an absolute path (where the FastCGI server "
                    + "sees this site's releases folder)");
        }
        if (root != null && root.length() > 1 && root.endsWith("/")) {
            root = root.substring(0, root.length() - 1);
        }
        String index = node.hasNonNull("index") ? SitesLoader.text(node, key + ".index", node.get("index")) : "index.php";
        if (index.contains("/") || index.startsWith(".")) {
            throw new SiteConfigException(key + ".index", "'" + index + "' must be a file name (index.php)");
        }
        String split = node.hasNonNull("split") ? SitesLoader.text(node, key + ".split", node.get("split")) : ".php";
        if (!split.startsWith(".") || split.contains("/")) {
            throw new SiteConfigException(key + ".split", "'" + split + "' must be a file extension (.php)");
        }
        if (!index.toLowerCase(java.util.Locale.ROOT).endsWith(split.toLowerCase(java.util.Locale.ROOT))) {
            throw new SiteConfigException(key + ".index", "'" + index + "' must end with the split, " + split);
        }
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode envNode = node.get("env");
        if (envNode != null && !envNode.isNull()) {
            if (!envNode.isObject()) {
                throw new SiteConfigException(key + ".env", "must map names to values");
            }
            for (Iterator<Map.Entry<String, JsonNode>> fields = envNode.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!field.getKey().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw new SiteConfigException(key + ".env." + field.getKey(), "is not a parameter name (letters, digits, _)");
                }
                JsonNode value = field.getValue();
                if (value == null || !value.isValueNode()) {
                    throw new SiteConfigException(key + ".env." + field.getKey(), "must be a single value");
                }
                env.put(field.getKey(), value.isNull() ? "" : value.asText());
            }
        }
        return new FastCgi(address, server, root, index, split, UpstreamSpecs.duration(node, "connect-timeout", "5s", key),
                UpstreamSpecs.duration(node, "read-timeout", "60s", key), Map.copyOf(env),
                UpstreamSpecs.integer(node, "keepalive", 0, 0, 1024, key));
    }
}
