package io.edgestack.proxy.fastcgi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgestack.proxy.site.FastCgi;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

/**
 * The bookkeeping of kept FastCGI connections, against a TCP server of the test's own on loopback.
 */
class FastCgiConnectionsTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void anEventLoopSweepsForIdleConnectionsOnlyWhileItKeepsSome() throws Exception {
        // A server whose kept connection went away (closed by it, or by a reload that dropped it from the sites) left a
        // periodic timer behind on each event loop it had served, for good.
        CompletableFuture<NetSocket> accepted = new CompletableFuture<>();
        NetServer server = vertx.createNetServer().connectHandler(accepted::complete);
        int port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
        FastCgi spec = new FastCgi("127.0.0.1:" + port, SocketAddress.inetSocketAddress(port, "127.0.0.1"), null, "index.php",
                ".php", Duration.ofSeconds(1), Duration.ofSeconds(1), Map.of(), 2);
        FastCgiConnections connections = new FastCgiConnections();
        Context loop = vertx.getOrCreateContext();
        CompletableFuture<Void> kept = new CompletableFuture<>();
        loop.runOnContext(v -> connections.acquire(spec, new FastCgiConnections.Waiter() {
            @Override
            public void ready(NetSocket given) {
                vertx.createNetClient().connect(port, "127.0.0.1").onSuccess(socket -> {
                    connections.opened(spec, socket);
                    connections.release(spec, socket); // its request answered: kept idle
                    kept.complete(null);
                }).onFailure(kept::completeExceptionally);
            }

            @Override
            public boolean bodiless() {
                return true;
            }
        }));
        kept.get(10, TimeUnit.SECONDS);
        assertEquals(1, connections.sweeps(), "a loop with an idle connection sweeps");
        accepted.get(10, TimeUnit.SECONDS).close(); // the FastCGI server lets it go
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FastCgiConnections.SWEEP_MILLIS / 1000 * 3);
        while (connections.sweeps() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, connections.sweeps(), "no idle connection left, no sweep left");
    }
}
