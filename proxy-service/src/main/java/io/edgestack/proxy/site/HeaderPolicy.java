package io.edgestack.proxy.site;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.netty.util.AsciiString;

/**
 * Security headers a site adds to every response (unless the response already has them). A null or empty value
 * turns a header off.
 */
public final class HeaderPolicy {

    public static final HeaderPolicy DEFAULTS = new HeaderPolicy(
            "max-age=31536000; includeSubDomains",
            "SAMEORIGIN",
            "strict-origin-when-cross-origin",
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
            null,
            Map.of());

    private final String hsts;
    private final String frameOptions;
    private final String referrerPolicy;
    private final String permissionsPolicy;
    private final String contentSecurityPolicy;
    private final Map<String, String> extra;
    /** The headers in the order they are added, as AsciiStrings (hashed once, written as bytes): plain, then TLS. */
    private final AsciiString[][] plain;
    private final AsciiString[][] tls;

    public HeaderPolicy(String hsts, String frameOptions, String referrerPolicy, String permissionsPolicy,
            String contentSecurityPolicy, Map<String, String> extra) {
        this.hsts = hsts;
        this.frameOptions = frameOptions;
        this.referrerPolicy = referrerPolicy;
        this.permissionsPolicy = permissionsPolicy;
        this.contentSecurityPolicy = contentSecurityPolicy;
        this.extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra));
        this.plain = prepare(false);
        this.tls = prepare(true);
    }

    private AsciiString[][] prepare(boolean withHsts) {
        List<AsciiString[]> headers = new ArrayList<>();
        add(headers, "X-Content-Type-Options", "nosniff");
        add(headers, "X-Frame-Options", frameOptions);
        add(headers, "Referrer-Policy", referrerPolicy);
        add(headers, "Permissions-Policy", permissionsPolicy);
        add(headers, "Content-Security-Policy", contentSecurityPolicy);
        if (withHsts) {
            add(headers, "Strict-Transport-Security", hsts);
        }
        extra.forEach((name, value) -> add(headers, name, value));
        return headers.toArray(AsciiString[][]::new);
    }

    private static void add(List<AsciiString[]> headers, String name, String value) {
        if (value != null && !value.isEmpty()) {
            headers.add(new AsciiString[] {AsciiString.of(name), AsciiString.of(value)});
        }
    }

    /** The headers to add, name and value, in order; HSTS only for answers over TLS. */
    public AsciiString[][] headers(boolean overTls) {
        return overTls ? tls : plain;
    }

    public String hsts() {
        return hsts;
    }

    public String frameOptions() {
        return frameOptions;
    }

    public String referrerPolicy() {
        return referrerPolicy;
    }

    public String permissionsPolicy() {
        return permissionsPolicy;
    }

    public String contentSecurityPolicy() {
        return contentSecurityPolicy;
    }

    public Map<String, String> extra() {
        return extra;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HeaderPolicy that && Objects.equals(hsts, that.hsts)
                && Objects.equals(frameOptions, that.frameOptions) && Objects.equals(referrerPolicy, that.referrerPolicy)
                && Objects.equals(permissionsPolicy, that.permissionsPolicy)
                && Objects.equals(contentSecurityPolicy, that.contentSecurityPolicy) && extra.equals(that.extra);
    }

    @Override
    public int hashCode() {
        return Objects.hash(hsts, frameOptions, referrerPolicy, permissionsPolicy, contentSecurityPolicy, extra);
    }

    @Override
    public String toString() {
        return "HeaderPolicy[hsts=" + hsts + ", frameOptions=" + frameOptions + ", referrerPolicy=" + referrerPolicy
                + ", permissionsPolicy=" + permissionsPolicy + ", contentSecurityPolicy=" + contentSecurityPolicy
                + ", extra=" + extra + "]";
    }
}
