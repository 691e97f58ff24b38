package io.edgestack.proxy.site;

import java.util.Map;

import io.vertx.core.buffer.Buffer;

/**
 * A route that answers by itself, as Caddy's {@code respond}: a health endpoint ({@code /healthz} → {@code ok}), a
 * section that is gone ({@code 410}), a site down for maintenance ({@code 503} with {@code Retry-After}). The body is
 * held once, as bytes.
 */
public record Respond(int status, Buffer body, String contentType, Map<String, String> headers) {

    /** At most this many bytes of body: a page of its own belongs in the release. */
    public static final int MAX_BODY = 64 * 1024;

    public Respond {
        headers = Map.copyOf(headers);
    }
}
