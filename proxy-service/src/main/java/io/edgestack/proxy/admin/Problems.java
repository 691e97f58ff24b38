package io.edgestack.proxy.admin;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code application/problem+json} answers of the admin API. */
final class Problems {

    private Problems() {
    }

    static void send(RoutingContext context, int status, String title, String detail) {
        context.response().setStatusCode(status)
                .putHeader("Content-Type", "application/problem+json")
                .end(new JsonObject().put("type", "about:blank").put("title", title).put("status", status)
                        .put("detail", detail).encode());
    }
}
