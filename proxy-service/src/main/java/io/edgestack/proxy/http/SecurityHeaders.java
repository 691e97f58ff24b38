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

    private static final AsciiString SERVER = AsciiString.cached("Server");
    private static final AsciiString X_POWERED_BY = AsciiString.cached("X-Powered-By");

    public static void apply(HeaderPolicy policy, MultiMap headers, boolean tls) {
        headers.remove(SERVER);
        headers.remove(X_POWERED_BY);
        for (AsciiString[] header : policy.headers(tls)) {
            if (!headers.contains(header[0])) {
                headers.add(header[0], header[1]);
            }
        }
    }
}
