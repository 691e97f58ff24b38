package io.edgestack.cluster;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.vertx.core.MultiMap;

/**
 * The trailer fields a proxy passes on after an answer's body (gRPC's {@code grpc-status}, a checksum): all but those
 * that frame, route or describe a message, which a recipient must not take from trailers (RFC 9110 §6.5.1), and the
 * connection's own.
 */
public final class TrailerFields {

    private static final Set<String> NEVER = Set.of("content-length", "transfer-encoding", "host", "trailer", "te",
            "connection", "keep-alive", "proxy-connection", "upgrade", "content-encoding", "content-type", "content-range",
            "cache-control", "expect", "authorization", "set-cookie");

    private TrailerFields() {
    }

    /** Adds to {@code to} the fields of {@code from} that may be passed on; the number added. */
    public static int copy(MultiMap from, MultiMap to) {
        int added = 0;
        for (Map.Entry<String, String> field : from) {
            if (!NEVER.contains(field.getKey().toLowerCase(Locale.ROOT))) {
                to.add(field.getKey(), field.getValue());
                added++;
            }
        }
        return added;
    }
}
