package io.edgestack.tunnel.connector;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

import org.jboss.logging.Logger;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

/**
 * The connector's end of TCP services carried over WebSocket (cloudflared's {@code tcp://} and {@code ssh://} ingress,
 * reached with {@code edgestack access tcp} or {@code cloudflared access tcp}): a WebSocket server on a loopback port of
 * its own, to which the connector forwards a visitor's upgrade for a TCP rule like any other upgrade. It dials the rule's
 * TCP service, accepts the handshake only once that connection is made (a refused service is a {@code 502} the edge shows
 * as its error page), then pipes binary messages to the service and the service's bytes back as binary messages, with
 * backpressure both ways. Vert.x speaks the WebSocket protocol (masking, fragments, ping, close).
 *
 * <p>Only the connector may use it: every request must carry this process's random secret (compared in constant time),
 * and the TCP address comes from the connector's rule in a header the connector sets, never from the visitor.
 */
final class TcpBridge {

    static final String SECRET_HEADER = "X-Edgestack-Bridge";
    static final String TARGET_HEADER = "X-Edgestack-Tcp-Target";

    private static final Logger LOG = Logger.getLogger(TcpBridge.class);

    private final HttpServer server;
    private final NetClient services;
    private final byte[] secret;

    private TcpBridge(HttpServer server, NetClient services, byte[] secret) {
        this.server = server;
        this.services = services;
        this.secret = secret;
    }

    /** Starts the bridge on a random loopback port. */
    static Future<TcpBridge> start(Vertx vertx, int connectTimeoutMillis) {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        byte[] secret = Base64.getUrlEncoder().withoutPadding().encode(random);
        NetClient services = vertx.createNetClient(new NetClientOptions().setConnectTimeout(connectTimeoutMillis).setTcpNoDelay(true));
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                // bytes of another protocol: compressing them again gains nothing
                .setPerMessageWebSocketCompressionSupported(false).setPerFrameWebSocketCompressionSupported(false)
                .setMaxWebSocketFrameSize(1 << 20).setMaxWebSocketMessageSize(1 << 20).setTcpNoDelay(true));
        Promise<TcpBridge> started = Promise.promise();
        TcpBridge bridge = new TcpBridge(server, services, secret);
        server.webSocketHandler(bridge::accept)
                .requestHandler(request -> request.response().setStatusCode(426).putHeader("Upgrade", "websocket")
                        .end("a TCP service is reached with a WebSocket\n"))
                .listen()
                .onSuccess(s -> started.complete(bridge))
                .onFailure(started::fail);
        return started.future();
    }

    int port() {
        return server.actualPort();
    }

    String secret() {
        return new String(secret, StandardCharsets.US_ASCII);
    }

    Future<Void> close() {
        services.close();
        return server.close();
    }

    private void accept(ServerWebSocket ws) {
        String given = ws.headers().get(SECRET_HEADER);
        if (given == null || !MessageDigest.isEqual(secret, given.getBytes(StandardCharsets.US_ASCII))) {
            ws.reject(403);
            return;
        }
        String target = ws.headers().get(TARGET_HEADER);
        int colon = target == null ? -1 : target.lastIndexOf(':');
        int port;
        try {
            port = colon < 0 ? -1 : Integer.parseInt(target.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port <= 0) {
            ws.reject(400);
            return;
        }
        String host = target.substring(0, colon).replace("[", "").replace("]", "");
        ws.pause();
        Promise<Integer> handshake = Promise.promise();
        ws.setHandshake(handshake.future());
        NetSocket[] service = { null };
        boolean[] gone = { false };
        ws.closeHandler(v -> { // either side closing closes the other; a WebSocket close frame ends the TCP connection
            gone[0] = true;
            if (service[0] != null) {
                service[0].close();
            }
        });
        services.connect(port, host).onComplete(connected -> {
            if (connected.failed()) {
                LOG.debugf("TCP service %s refused a visitor: %s", target, connected.cause().getMessage());
                handshake.complete(502);
                return;
            }
            NetSocket socket = connected.result();
            if (gone[0]) { // the visitor left while the service was dialled
                socket.close();
                return;
            }
            service[0] = socket;
            handshake.complete(101);
            ws.pipeTo(socket);
            socket.pipeTo(ws);
            socket.closeHandler(v -> {
                if (!ws.isClosed()) {
                    ws.close();
                }
            });
        });
    }
}
