package io.edgestack.proxy.site;

import java.util.Map;

/**
 * Security headers a site adds to every response (unless the response already has them). A null or empty value
 * turns a header off.
 */
public record HeaderPolicy(String hsts, String frameOptions, String referrerPolicy, String permissionsPolicy,
        String contentSecurityPolicy, Map<String, String> extra) {

    public static final HeaderPolicy DEFAULTS = new HeaderPolicy(
            "max-age=31536000; includeSubDomains",
            "SAMEORIGIN",
            "strict-origin-when-cross-origin",
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
            null,
            Map.of());
}
