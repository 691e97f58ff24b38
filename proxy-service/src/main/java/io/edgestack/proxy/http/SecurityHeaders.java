package io.edgestack.proxy.http;

import java.util.Map;

import io.edgestack.proxy.site.HeaderPolicy;
import io.vertx.core.MultiMap;

/**
 * Adds a site's security headers to a response that does not set them itself, and removes version leaks.
 */
public final class SecurityHeaders {

    private SecurityHeaders() {
    }

    public static void apply(HeaderPolicy policy, MultiMap headers, boolean tls) {
        headers.remove("Server");
        headers.remove("X-Powered-By");
        putIfAbsent(headers, "X-Content-Type-Options", "nosniff");
        putIfAbsent(headers, "X-Frame-Options", policy.frameOptions());
        putIfAbsent(headers, "Referrer-Policy", policy.referrerPolicy());
        putIfAbsent(headers, "Permissions-Policy", policy.permissionsPolicy());
        putIfAbsent(headers, "Content-Security-Policy", policy.contentSecurityPolicy());
        if (tls) {
            putIfAbsent(headers, "Strict-Transport-Security", policy.hsts());
        }
        for (Map.Entry<String, String> extra : policy.extra().entrySet()) {
            putIfAbsent(headers, extra.getKey(), extra.getValue());
        }
    }

    private static void putIfAbsent(MultiMap headers, String name, String value) {
        if (value != null && !value.isEmpty() && !headers.contains(name)) {
            headers.set(name, value);
        }
    }
}
