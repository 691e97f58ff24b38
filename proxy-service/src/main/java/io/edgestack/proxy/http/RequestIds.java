package io.edgestack.proxy.http;

import java.util.concurrent.ThreadLocalRandom;

import io.vertx.core.http.HttpServerRequest;

/**
 * The request id of a request: the {@code X-Request-Id} a trusted peer sent (the tunnel connector, a load balancer),
 * else a new random one.
 */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";

    private final TrustedProxies trusted;

    public RequestIds(TrustedProxies trusted) {
        this.trusted = trusted;
    }

    public String of(HttpServerRequest request) {
        String given = request.getHeader(HeaderNames.REQUEST_ID);
        if (given != null && valid(given) && trusted.trusts(request.remoteAddress())) {
            return given;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
    }

    private static boolean valid(String id) {
        if (id.isEmpty() || id.length() > 128) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c <= 32 || c >= 127) {
                return false;
            }
        }
        return true;
    }
}
