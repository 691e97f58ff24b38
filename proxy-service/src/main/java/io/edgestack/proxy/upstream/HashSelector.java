package io.edgestack.proxy.upstream;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.vertx.core.http.HttpServerRequest;

/**
 * Consistent choice by client IP or by a header value, with rendezvous (highest random weight) hashing: a key keeps
 * its upstream while that upstream is available, and only the keys of an upstream that leaves move.
 */
public final class HashSelector implements Selector {

    private final String header;

    /** @param header the header to hash, or null to hash the client IP */
    public HashSelector(String header) {
        this.header = header;
    }

    @Override
    public Upstream select(List<Upstream> available, HttpServerRequest request) {
        return byKey(available, key(request));
    }

    /** The upstream that owns {@code key} among those available. */
    static Upstream byKey(List<Upstream> available, String key) {
        Upstream best = null;
        long bestScore = Long.MIN_VALUE;
        for (Upstream upstream : available) {
            long score = mix(fnv(key) ^ fnv(upstream.url()));
            if (best == null || score > bestScore) {
                best = upstream;
                bestScore = score;
            }
        }
        return best;
    }

    private String key(HttpServerRequest request) {
        if (header != null) {
            String value = request.getHeader(header);
            return value == null ? "" : value;
        }
        return request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress();
    }

    private static long fnv(String text) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb93fe1a85ec5L;
        return z ^ (z >>> 33);
    }
}
