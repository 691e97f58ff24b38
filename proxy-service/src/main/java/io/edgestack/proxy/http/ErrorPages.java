package io.edgestack.proxy.http;

import java.nio.file.Path;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * Error answers: the site's own page ({@code 404.html}, {@code 50x.html}) when it has one, a built-in page otherwise,
 * and problem details for clients that ask for JSON. Every answer carries the request id.
 */
public final class ErrorPages {

    private ErrorPages() {
    }

    /**
     * @param page the site's page for this status, or null for the built-in one
     * @return completes when the answer is written
     */
    public static Future<Void> send(HttpServerRequest request, int status, String title, String detail, Path page) {
        HttpServerResponse response = request.response();
        if (response.ended()) {
            return Future.succeededFuture();
        }
        response.setStatusCode(status).putHeader("Cache-Control", "no-store");
        String requestId = response.headers().get(RequestIds.HEADER);
        if (wantsJson(request.getHeader(HttpHeaders.ACCEPT))) {
            JsonObject problem = new JsonObject()
                    .put("type", "about:blank")
                    .put("title", title)
                    .put("status", status)
                    .put("detail", detail)
                    .put("requestId", requestId);
            response.putHeader("Content-Type", "application/problem+json");
            return end(request, problem.encode());
        }
        response.putHeader("Content-Type", "text/html; charset=utf-8");
        if (page != null) {
            // a page removed since it was looked up: the built-in one (nothing is written until the file is open)
            return request.method().name().equals("HEAD") ? response.end() : response.sendFile(page.toString())
                    .recover(failed -> {
                        if (response.headWritten()) { // gone between Vert.x's two looks at it: nothing can follow
                            response.reset();
                            return Future.failedFuture(failed);
                        }
                        response.headers().remove(HttpHeaders.CONTENT_LENGTH); // the length Vert.x took from the file
                        return end(request, builtIn(status, title, detail, requestId));
                    });
        }
        return end(request, builtIn(status, title, detail, requestId));
    }

    /**
     * Sends the site's own page of this status from its live release ({@code 404.html}, {@code 50x.html}; looked up off
     * the event loop), or the built-in one when the release has none.
     */
    public static void sendSitePage(io.vertx.core.Vertx vertx, io.edgestack.proxy.files.ReleaseFiles files,
            HttpServerRequest request, String site, int status, String title, String detail) {
        vertx.executeBlocking(() -> files.errorPage(site, status), false)
                .onComplete(page -> send(request, status, title, detail, page.succeeded() ? page.result() : null));
    }

    static boolean wantsJson(String accept) {
        return accept != null && accept.contains("json") && !accept.contains("text/html");
    }

    /**
     * The page with its length said: Vert.x would count it on top of the length of a file whose {@code sendFile} failed
     * after taking its length (a file removed between the look-up and the open), and the visitor would wait for bytes
     * that never come.
     */
    private static Future<Void> end(HttpServerRequest request, String body) {
        Buffer bytes = Buffer.buffer(body);
        HttpServerResponse response = request.response().putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(bytes.length()));
        return request.method().name().equals("HEAD") ? response.end() : response.end(bytes);
    }

    private static String builtIn(int status, String title, String detail, String requestId) {
        return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>%1$d %2$s</title>
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
                code{background:#f3f3f3;padding:.1rem .3rem}</style></head>
                <body><h1>%1$d &mdash; %2$s</h1><p>%3$s</p>
                <p><small>edgestack proxy &middot; request id <code>%4$s</code></small></p></body></html>
                """.formatted(status, escape(title), escape(detail), escape(requestId));
    }

    /** Text for HTML: {@code & < > "} escaped (attributes are double-quoted). */
    public static String escape(String text) {
        return text == null ? "" : text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
