package io.edgestack.proxy.http;

import io.edgestack.cluster.TrustedProxies;
import org.jboss.logging.Logger;

import io.vertx.core.http.HttpServerRequest;

/**
 * One line per answered request on the {@code edgestack.access} logger, with the request id so that a visitor's
 * report can be traced through the tunnel, the proxy and the upstream.
 */
public final class AccessLog {

    private static final Logger LOG = Logger.getLogger("edgestack.access");

    private AccessLog() {
    }

    /**
     * @param trusted the proxies whose {@code X-Forwarded-For} names the visitor: {@code remote} is the peer,
     *        {@code client} the visitor (as Caddy's {@code remote_ip} and {@code client_ip})
     */
    public static void record(HttpServerRequest request, TrustedProxies trusted, String site, String requestId, long startNanos) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        var response = request.response();
        long micros = (System.nanoTime() - startNanos) / 1000;
        StringBuilder line = new StringBuilder(160)
                .append("{\"id\":\"").append(requestId)
                .append("\",\"site\":\"").append(site)
                .append("\",\"remote\":\"").append(request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress())
                .append("\",\"client\":\"");
        String client = trusted.client(request);
        escape(line, client == null ? "" : client); // from a header: escaped
        line.append("\",\"method\":\"").append(request.method().name())
                .append("\",\"uri\":\"");
        escape(line, request.uri());
        line.append("\",\"status\":").append(response.getStatusCode())
                .append(",\"bytes\":").append(response.bytesWritten())
                .append(",\"duration_ms\":").append(micros / 1000).append('.').append(String.format("%03d", micros % 1000))
                .append('}');
        LOG.info(line);
    }

    private static void escape(StringBuilder out, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
    }
}
