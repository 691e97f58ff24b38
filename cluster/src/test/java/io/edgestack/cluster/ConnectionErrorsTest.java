package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.NetServer;

/** A real Vert.x client against a raw server that breaks HTTP, its log records caught as they are published. */
class ConnectionErrorsTest {

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler catcher = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.FINE.intValue()) {
                records.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private Vertx vertx;
    private Level rootLevel;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        Logger root = Logger.getLogger("");
        rootLevel = root.getLevel();
        root.setLevel(Level.FINE);
        Logger.getLogger(ConnectionErrorsTest.class.getName()).setLevel(Level.FINE);
        root.addHandler(catcher);
    }

    @AfterEach
    void stop() throws Exception {
        Logger.getLogger("").removeHandler(catcher);
        Logger.getLogger("").setLevel(rootLevel);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private int rawServer(String answer) throws Exception {
        NetServer server = vertx.createNetServer().connectHandler(socket -> socket.handler(request -> socket.write(answer)));
        return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    }

    private void request(int port) throws Exception {
        HttpClient client = vertx.httpClientBuilder()
                .withConnectHandler(connection -> ConnectionErrors.report(connection,
                        org.jboss.logging.Logger.getLogger(ConnectionErrorsTest.class), "Upstream"))
                .build();
        try {
            client.request(HttpMethod.GET, port, "127.0.0.1", "/").compose(r -> r.send()).compose(r -> r.body())
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException expected) {
            // the answer is broken; what matters here is what the log says
        }
        Thread.sleep(200);
    }

    @Test
    void aPeerThatBreaksHttpIsOneWarningNamingIt() throws Exception {
        int port = rawServer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nnot a chunk\r\n0\r\n\r\n");
        request(port);
        List<LogRecord> warnings = records.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue()).toList();
        assertEquals(1, warnings.size(), warnings.stream().map(r -> r.getLoggerName() + ": " + r.getMessage()).toList().toString());
        LogRecord warning = warnings.get(0);
        assertEquals(Level.WARNING.intValue(), warning.getLevel().intValue(), "a warning, not Vert.x' bare error");
        String text = String.format(warning.getMessage(), warning.getParameters());
        assertTrue(text.startsWith("Upstream 127.0.0.1:" + port + " broke HTTP on its connection"), text);
    }

    @Test
    void anIoErrorIsOnlyADebugLine() throws Exception {
        NetServer server = vertx.createNetServer().connectHandler(socket -> socket.handler(request -> {
            // reset the connection mid-answer: SO_LINGER 0 turns the close into a RST
            ((io.vertx.core.net.impl.NetSocketInternal) socket).channelHandlerContext().channel().config()
                    .setOption(io.netty.channel.ChannelOption.SO_LINGER, 0);
            socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf").onComplete(v -> socket.close());
        }));
        int port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
        request(port);
        List<LogRecord> loud = records.stream().filter(r -> r.getLevel().intValue() >= Level.WARNING.intValue()).toList();
        assertTrue(loud.isEmpty(), loud.stream().map(r -> r.getLoggerName() + ": " + r.getMessage()).toList().toString());
    }
}
