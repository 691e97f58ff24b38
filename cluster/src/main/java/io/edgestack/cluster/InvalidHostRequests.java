package io.edgestack.cluster;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * A request whose {@code Host} is missing or not a host name (RFC 9112 §3.2) gets {@code 400} and nothing in the log.
 * Vert.x Web fails such a request before any route sees it, and Quarkus' error handler then logged an ERROR with an
 * error id for each one: anyone could fill a service's log that way. Installed on the HTTP router of every service
 * that includes this module; the tunnel edge answers these with its own error page ({@link #isInvalidHost}).
 */
@Singleton
public class InvalidHostRequests {

    /** Before every other failure handler but the edge's own. */
    public static final int ORDER = Integer.MIN_VALUE + 100;

    void install(@Observes Router router) {
        router.route().order(ORDER).failureHandler(context -> {
            if (!isInvalidHost(context)) {
                context.next();
                return;
            }
            ConnectionClose.answer(context.request(), () -> context.response().setStatusCode(400)
                    .setStatusMessage("Bad Request").putHeader("Content-Type", "text/plain; charset=utf-8")
                    .end("400 Bad Request: the Host header is missing or not a valid host name\n"));
        });
    }

    /** Whether {@code context} failed because its request has no valid {@code Host} (and no answer was sent yet). */
    public static boolean isInvalidHost(RoutingContext context) {
        return context.statusCode() == 400 && !context.response().ended()
                && context.request() instanceof HttpServerRequestInternal request && !request.isValidAuthority();
    }
}
