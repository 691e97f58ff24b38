package io.edgestack.proxy.http;

import io.edgestack.cluster.TrustedProxies;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

import io.vertx.core.http.HttpServerRequest;

/**
 * The request id of a request: the {@code X-Request-Id} a trusted peer sent (the tunnel connector, a load balancer),
 * else a new random one.
 */
public final class RequestIds {

    public static final String HEADER = "X-Request-Id";
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final TrustedProxies trusted;

    public RequestIds(TrustedProxies trusted) {
        this.trusted = trusted;
    }

    public String of(HttpServerRequest request) {
        String given = request.getHeader(HeaderNames.REQUEST_ID);
        if (given != null && valid(given) && trusted.trusts(request.remoteAddress())) {
            return given;
        }
        return generate(ThreadLocalRandom.current());
    }

    /** 32 random hexadecimal digits (128 bits), written straight into the one String. */
    static String generate(Random random) {
        byte[] digits = new byte[32];
        for (int half = 0; half < 2; half++) {
            long bits = random.nextLong();
            for (int i = 0; i < 16; i++) {
                digits[half * 16 + i] = HEX[(int) (bits >>> (60 - 4 * i)) & 0xf];
            }
        }
        return new String(digits, StandardCharsets.ISO_8859_1);
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
