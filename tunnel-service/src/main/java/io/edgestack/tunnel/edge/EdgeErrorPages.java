package io.edgestack.tunnel.edge;

import java.util.Date;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;

import io.edgestack.cluster.ConnectionClose;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Answers the edge gives on its own (521, 502, 504, 404): an HTML page for browsers, problem details for clients that
 * ask for JSON, and a request id in both.
 */
@ApplicationScoped
public class EdgeErrorPages {

    static final String REQUEST_ID = "X-Request-Id";

    public void send(RoutingContext context, int status, String title, String detail) {
        String requestId = requestId(context);
        var response = context.response()
                .setStatusCode(status)
                .setStatusMessage(reason(status))
                .putHeader(REQUEST_ID, requestId)
                .putHeader("Date", now())
                .putHeader("Cache-Control", "no-store");
        boolean close = closeAsked(context); // before the end, where Vert.x says close on a request that asked it
        String accept = context.request().getHeader("Accept");
        if (accept != null && accept.contains("json") && !accept.contains("text/html")) {
            JsonObject problem = new JsonObject()
                    .put("type", "about:blank")
                    .put("title", title)
                    .put("status", status)
                    .put("detail", detail)
                    .put("requestId", requestId);
            closeIfAsked(context, close, response.putHeader("Content-Type", "application/problem+json").end(problem.encode()));
            return;
        }
        closeIfAsked(context, close, response.putHeader("Content-Type", "text/html; charset=utf-8")
                .end(html(status, title, detail, requestId)));
    }

    /** Whether the answer was marked to end its connection ({@link ConnectionClose#announce}). */
    private static boolean closeAsked(RoutingContext context) {
        return context.request().version() != HttpVersion.HTTP_2
                && "close".equalsIgnoreCase(context.response().headers().get("Connection"));
    }

    /**
     * An answer marked to end its connection is followed by the close. Not one that Vert.x marked as it ended it, for a
     * request that asked to close: Vert.x closes that connection itself once the request's body is read, where a close
     * at once, with an upload still coming, made the visitor's system answer it with a reset that could overtake the
     * answer (the visitor saw its connection closed, not the 502).
     */
    private static void closeIfAsked(RoutingContext context, boolean asked, io.vertx.core.Future<Void> ended) {
        if (asked) {
            ended.onComplete(done -> ConnectionClose.close(context.request()));
        }
    }

    /** The current time as an IMF-fixdate (RFC 9110 §5.6.7): the edge is the origin of the answers it makes itself. */
    static String now() {
        return DateFormatter.format(new Date());
    }

    /** The reason phrase of {@code status}: RFC 9110's, and Cloudflare's for 521. */
    static String reason(int status) {
        if (status == 521) {
            return "Web Server Is Down";
        }
        HttpResponseStatus known = HttpResponseStatus.valueOf(status);
        return known.codeClass() == io.netty.handler.codec.http.HttpStatusClass.UNKNOWN
                || known.reasonPhrase().startsWith("Unknown") ? "Error" : known.reasonPhrase();
    }

    /** The visitor's request id when it is a sane one, else a new one; the same for the whole exchange. */
    static String requestId(RoutingContext context) {
        String known = context.get(REQUEST_ID);
        if (known != null) {
            return known;
        }
        String given = context.request().getHeader(REQUEST_ID);
        String id;
        if (given != null && given.length() <= 64 && given.chars().allMatch(c -> c > 32 && c < 127)) {
            id = given;
        } else {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            id = Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
        }
        context.put(REQUEST_ID, id);
        return id;
    }

    private static String html(int status, String title, String detail, String requestId) {
        return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>%1$d %2$s</title>
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
                code{background:#f3f3f3;padding:.1rem .3rem}</style></head>
                <body><h1>%1$d &mdash; %2$s</h1><p>%3$s</p>
                <p><small>edgestack edge &middot; request id <code>%4$s</code></small></p></body></html>
                """.formatted(status, title, detail, requestId);
    }
}
