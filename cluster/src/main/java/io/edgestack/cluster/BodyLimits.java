package io.edgestack.cluster;

import io.vertx.core.http.HttpServerRequest;

/** A request body's declared size against a limit ({@code quarkus.http.limits.max-body-size}). */
public final class BodyLimits {

    private BodyLimits() {
    }

    /** Whether {@code request} declares a body larger than {@code limit} bytes (a limit of 0 or less: none). */
    public static boolean declaredOver(HttpServerRequest request, long limit) {
        String length = limit > 0 ? request.getHeader("Content-Length") : null;
        if (length == null) {
            return false;
        }
        try {
            return Long.parseLong(length.trim()) > limit;
        } catch (NumberFormatException e) {
            return false; // several or malformed lengths: Vert.x answers 400 before the request gets here
        }
    }
}
