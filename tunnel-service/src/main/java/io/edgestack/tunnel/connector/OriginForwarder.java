package io.edgestack.tunnel.connector;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

import org.jboss.logging.Logger;

import io.edgestack.cluster.HopByHop;
import io.edgestack.cluster.TrailerFields;
import io.edgestack.tunnel.mux.MuxStream;
import io.edgestack.tunnel.mux.Pipes;
import io.edgestack.tunnel.mux.ResetCodes;
import io.edgestack.tunnel.protocol.Heads;
import io.edgestack.tunnel.protocol.UncarriableHead;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

/**
 * The connector's half of a stream: finds the ingress rule, sends the request to that local service with its body
 * streamed from the tunnel, and streams the answer back. Failures become RESET codes the edge turns into the seed's
 * statuses: cannot connect → 502, origin silent past the timeout → 504.
 */
final class OriginForwarder {

    /** Besides {@link HopByHop}'s (Connection and what it names): framing is each connection's own; TE is a request field. */
    private static final Set<String> NOT_RETURNED = Set.of("transfer-encoding", "trailer", "te");

    private static final Logger LOG = Logger.getLogger(OriginForwarder.class);

    private final io.vertx.core.Vertx vertx;
    /** The origin client of each TLS profile of the rules. */
    private final java.util.Map<OriginTls, HttpClient> clients;
    private final Ingress ingress;
    private final long timeoutMillis;
    /** The WebSocket end of the TCP rules, or null when no rule names a TCP service. */
    private final TcpBridge bridge;

    OriginForwarder(io.vertx.core.Vertx vertx, java.util.Map<OriginTls, HttpClient> clients, Ingress ingress, Duration timeout,
            TcpBridge bridge) {
        this.vertx = vertx;
        this.clients = clients;
        this.ingress = ingress;
        this.timeoutMillis = timeout.toMillis();
        this.bridge = bridge;
    }

    void open(MuxStream stream, Heads.RequestHead head, boolean fin, boolean upgrade) {
        String host = head.headers().get("Host");
        Ingress.Rule rule = ingress.match(host, head.target());
        if (rule.isStatus()) {
            answerStatus(stream, rule.status());
            return;
        }
        if (rule.isTcp()) {
            openTcp(stream, head, fin, upgrade, rule);
            return;
        }
        // the visitor's Host, unless the rule names the one its origin wants (cloudflared's httpHostHeader)
        send(stream, head, fin, upgrade, rule.hostHeader() != null ? rule.hostHeader() : host, rule.origin(), rule.tls(), 0);
    }

    /**
     * Methods that may be sent again when the connection fails before any answer (RFC 9110 §9.2.2): a pooled
     * keep-alive connection the origin closed at the same moment is retried once on another, as Caddy and nginx do.
     */
    private static boolean retryable(String method, boolean fin, boolean upgrade, int attempt) {
        return attempt == 0 && fin && !upgrade && (method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS"));
    }

    private void send(MuxStream stream, Heads.RequestHead head, boolean fin, boolean upgrade, String host, URI origin,
            OriginTls profile, int attempt) {
        boolean tls = "https".equals(origin.getScheme());
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().addAll(head.headers()).remove("Host");
        int port = origin.getPort() > 0 ? origin.getPort() : tls ? 443 : 80;
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.valueOf(head.method()))
                .setHost(origin.getHost())
                .setPort(port)
                .setSsl(tls)
                .setURI(head.target())
                .setHeaders(headers);
        if (tls && profile.serverName() != null) {
            // dial the URL's address, ask for and check the configured name (the Host header is set below)
            options.setServer(SocketAddress.inetSocketAddress(port, origin.getHost())).setHost(profile.serverName());
        }
        HttpClient client = clients.getOrDefault(profile, clients.get(OriginTls.DEFAULT));
        client.request(options).onComplete(created -> {
            if (created.failed()) {
                stream.reset(ResetCodes.ORIGIN_UNREACHABLE, "cannot connect to " + origin + ": " + created.cause().getMessage());
                return;
            }
            HttpClientRequest request = created.result();
            if (host != null) {
                try {
                    request.authority(HostAndPort.parseAuthority(host, -1));
                } catch (RuntimeException ignored) {
                    // a Host the edge let through but that does not parse: the origin sees its own address
                }
            }
            stream.resetHandler(reset -> request.reset());
            request.earlyHintsHandler(hints -> {
                MultiMap interim = MultiMap.caseInsensitiveMultiMap().addAll(hints);
                HopByHop.strip(interim);
                try {
                    stream.inform(new Heads.ResponseHead(103, interim));
                } catch (UncarriableHead dropped) {
                    // hints are only hints: the answer itself still comes
                }
            });
            boolean[] settled = { false };
            long[] timer = { -1 };
            java.util.function.Consumer<Throwable> failed = error -> {
                if (settled[0]) {
                    return;
                }
                settled[0] = true;
                vertx.cancelTimer(timer[0]);
                if (!stream.isClosed() && !(error instanceof TimeoutException)
                        && retryable(head.method(), fin, upgrade, attempt)) {
                    send(stream, head, fin, upgrade, host, origin, profile, attempt + 1);
                } else {
                    fail(stream, error);
                }
            };
            request.exceptionHandler(failed::accept);
            // The timeout guards the wait for the answer's head; once the body streams, a pause (a slow visitor
            // holding the tunnel's window) is backpressure, not a silent origin.
            timer[0] = vertx.setTimer(timeoutMillis, id -> {
                if (!stream.isClosed()) {
                    stream.reset(ResetCodes.ORIGIN_TIMEOUT, "origin sent no answer within " + timeoutMillis + " ms");
                    request.reset();
                }
            });
            request.response().onComplete(answered -> vertx.cancelTimer(timer[0]));
            if (attempt > 0) {
                LOG.debugf("Sending %s %s to %s again after its connection closed unanswered", head.method(), head.target(), origin);
            }
            if (upgrade) {
                request.connect().onComplete(answer -> {
                    vertx.cancelTimer(timer[0]);
                    if (answer.failed()) {
                        fail(stream, answer.cause());
                    } else if (answer.result().statusCode() == 101) {
                        HttpClientResponse response = answer.result();
                        MultiMap returned = MultiMap.caseInsensitiveMultiMap();
                        response.headers().forEach(h -> {
                            String name = h.getKey().toLowerCase(Locale.ROOT);
                            if (!name.equals("transfer-encoding") && !name.equals("content-length")) {
                                returned.add(h.getKey(), h.getValue());
                            }
                        });
                        if (!respond(stream, new Heads.ResponseHead(101, returned), response)) {
                            return;
                        }
                        NetSocket socket = response.netSocket();
                        Pipes.socket(socket, io.edgestack.cluster.UpgradedClientSocket.of(response, socket), stream);
                    } else {
                        relay(stream, answer.result());
                    }
                });
                return;
            }
            request.response().onComplete(answer -> {
                if (answer.failed()) {
                    failed.accept(answer.cause());
                } else {
                    settled[0] = true;
                    relay(stream, answer.result());
                }
            });
            if (fin) {
                request.end();
            } else {
                if (!headers.contains("Content-Length")) {
                    request.setChunked(true);
                }
                Pipes.fromTunnel(stream, request, request::end);
            }
        });
    }

    private static void relay(MuxStream stream, HttpClientResponse response) {
        String coding = response.getHeader("Transfer-Encoding");
        if (coding != null && !coding.trim().equalsIgnoreCase("chunked")) {
            // Netty reads the chunked framing of "gzip, chunked" and leaves the gzip on: passed on, the visitor would
            // get gzip bytes with nothing saying so (nginx: "upstream sent unknown Transfer-Encoding", 502)
            drop(response);
            stream.reset(ResetCodes.ORIGIN_PROTOCOL_ERROR, "origin used a transfer coding other than chunked ("
                    + coding + ")");
            return;
        }
        MultiMap returned = MultiMap.caseInsensitiveMultiMap();
        for (Map.Entry<String, String> header : response.headers()) {
            if (!NOT_RETURNED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                returned.add(header.getKey(), header.getValue());
            }
        }
        HopByHop.strip(returned, response.getHeader("Connection"));
        if (!respond(stream, new Heads.ResponseHead(response.statusCode(), returned), response)) {
            return;
        }
        response.exceptionHandler(error -> fail(stream, error));
        OriginBodies.carry(response, stream); // if carried, the pieces Vert.x hands to the pipe below are empty
        Pipes.toTunnel(response, stream, () -> trailers(response.trailers()));
    }

    /** An origin answer's trailer fields that may be passed on, or null for none. */
    private static MultiMap trailers(MultiMap fields) {
        MultiMap kept = MultiMap.caseInsensitiveMultiMap();
        return fields.isEmpty() || TrailerFields.copy(fields, kept) == 0 ? null : kept;
    }

    /**
     * Sends the origin's answer head; false, the stream reset and the origin's exchange dropped, when the tunnel cannot
     * carry it (a status outside 100 to 599, a header name HTTP does not allow, a head too large for a frame): sent, it
     * would be refused by the edge, which closes the whole connection on a frame it cannot read.
     */
    private static boolean respond(MuxStream stream, Heads.ResponseHead head, HttpClientResponse response) {
        try {
            stream.respond(head, false);
            return true;
        } catch (UncarriableHead refused) {
            drop(response);
            stream.reset(ResetCodes.ORIGIN_PROTOCOL_ERROR, "origin's answer cannot be carried: " + refused.getMessage());
            return false;
        }
    }

    /** An origin's answer not passed on: its exchange is reset (its connection not reused), quietly. */
    private static void drop(HttpClientResponse response) {
        response.exceptionHandler(ignored -> { });
        response.request().reset();
    }

    private static void fail(MuxStream stream, Throwable error) {
        if (stream.isClosed()) {
            return;
        }
        if (error instanceof TimeoutException) {
            stream.reset(ResetCodes.ORIGIN_TIMEOUT, "origin did not answer: " + error.getMessage());
        } else if (error instanceof io.netty.handler.codec.DecoderException || error instanceof IllegalArgumentException) {
            // Netty's HTTP decoder: a head too large, a status line or Content-Length it cannot read
            stream.reset(ResetCodes.ORIGIN_PROTOCOL_ERROR, "origin's answer is not valid HTTP: " + error.getMessage());
        } else {
            stream.reset(ResetCodes.ORIGIN_UNREACHABLE, "origin failed: " + error.getMessage());
        }
    }

    /**
     * A request for a TCP rule: a WebSocket upgrade (with the rule's access token, if it has one) goes to the bridge,
     * which dials the service; anything else is told how to connect.
     */
    private void openTcp(MuxStream stream, Heads.RequestHead head, boolean fin, boolean upgrade, Ingress.Rule rule) {
        String host = head.headers().get("Host");
        String hostName = host == null ? "this host" : host;
        if (upgrade && bridge == null) {
            answer(stream, 502, "the connector could not open its bridge to TCP services (see its log)\n",
                    MultiMap.caseInsensitiveMultiMap());
            return;
        }
        if (!upgrade || !"websocket".equalsIgnoreCase(head.headers().get("Upgrade"))) {
            answer(stream, 400, hostName + " is a TCP service carried over WebSocket: reach it with\n"
                    + "  edgestack access tcp --hostname " + hostName + " --url 127.0.0.1:<local port>\n"
                    + "or cloudflared access tcp --hostname " + hostName + " --url 127.0.0.1:<local port>\n",
                    MultiMap.caseInsensitiveMultiMap());
            return;
        }
        if (rule.accessToken() != null && !presents(head.headers(), rule.accessToken())) {
            answer(stream, 401, "an access token is needed for " + hostName + " (edgestack access tcp --token-file, or "
                    + "cloudflared access tcp --service-token-secret)\n",
                    MultiMap.caseInsensitiveMultiMap().add("WWW-Authenticate", "Bearer realm=\"" + hostName.replace("\"", "") + "\""));
            return;
        }
        Heads.RequestHead bridged = new Heads.RequestHead(head.method(), "/", MultiMap.caseInsensitiveMultiMap()
                .addAll(head.headers())
                .remove("Authorization").remove("Cf-Access-Client-Id").remove("Cf-Access-Client-Secret")
                .set(TcpBridge.SECRET_HEADER, bridge.secret())
                .set(TcpBridge.TARGET_HEADER, rule.origin().getHost() + ":" + rule.origin().getPort()));
        send(stream, bridged, fin, true, "127.0.0.1", URI.create("http://127.0.0.1:" + bridge.port()), OriginTls.DEFAULT, 0);
    }

    /** The rule's token as a bearer token, or as cloudflared's service token secret; compared in constant time. */
    private static boolean presents(MultiMap headers, String token) {
        byte[] expected = token.getBytes(StandardCharsets.UTF_8);
        String authorization = headers.get("Authorization");
        String bearer = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
        String serviceSecret = headers.get("Cf-Access-Client-Secret");
        boolean ok = false;
        for (String given : new String[] { bearer, serviceSecret }) {
            ok |= given != null && java.security.MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8));
        }
        return ok;
    }

    private static void answerStatus(MuxStream stream, int status) {
        answer(stream, status, status + " (connector ingress rule http_status:" + status + ")\n", MultiMap.caseInsensitiveMultiMap());
    }

    private static void answer(MuxStream stream, int status, String text, MultiMap headers) {
        Buffer body = Buffer.buffer(text, StandardCharsets.UTF_8.name());
        headers.add("Content-Type", "text/plain; charset=utf-8")
                .add("Content-Length", Integer.toString(body.length()))
                .add("Cache-Control", "no-store");
        // The request's body is not wanted: read and dropped, or the stream would wait for it to be read forever.
        stream.handler(stream::consumed);
        stream.respond(new Heads.ResponseHead(status, headers), false);
        stream.write(body);
        stream.end();
    }
}
