package io.edgestack.proxy.http;

import io.edgestack.proxy.site.HeaderPolicy;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;

/**
 * Adds a site's security headers to a response that does not set them itself, and removes version leaks.
 */
public final class SecurityHeaders {

    private SecurityHeaders() {
    }

    public static void apply(HeaderPolicy policy, MultiMap headers, boolean tls) {
        headers.remove(HeaderNames.SERVER);
        headers.remove(HeaderNames.X_POWERED_BY);
        for (AsciiString[] header : policy.headers(tls)) {
            if (!headers.contains(header[0])) {
                headers.add(header[0], header[1]);
            }
        }
    }
}
