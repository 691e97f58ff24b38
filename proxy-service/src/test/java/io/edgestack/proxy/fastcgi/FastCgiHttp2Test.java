package io.edgestack.proxy.fastcgi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.edgestack.proxy.files.TestRelease;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.net.NetServer;

/**
 * FastCGI behind an HTTP/2 visitor (h2c, prior knowledge, one connection): an upload that passes
 * {@code quarkus.http.limits.max-body-size} ends its own stream, never the connection its other streams share, whether
 * the script had answered yet or not. Against FastCGI servers of the test's own on loopback: one that answers when the
 * body has all come, and one that answers as soon as it has the request's parameters, then reads the body.
 */
@QuarkusTest
@QuarkusTestResource(value = FastCgiHttp2Test.Servers.class, restrictToAnnotatedClass = true)
class FastCgiHttp2Test {

    @TestHTTPResource("/")
    java.net.URL url;

    /** Body bytes the early server was given. */
    static final AtomicLong EARLY_STDIN = new AtomicLong();
    /** Its connections closed by the proxy. */
    static final AtomicInteger EARLY_CLOSED = new AtomicInteger();

    public static class Servers implements QuarkusTestResourceLifecycleManager {
        private Vertx vertx;

        @Override
        public Map<String, String> start() {
            vertx = Vertx.vertx();
            try {
                int waiting = FastCgiKeepAliveTest.Servers.server(vertx, new AtomicInteger(), false, 0, null);
                int early = early(vertx);
                TestRelease release = new TestRelease(Path.of("target/test-releases"), "fcgi-h2").clear();
                release.file("r1", "index.php", "<?php // answered by the test's own FastCGI servers");
                release.activate("r1");
                Path sites = Path.of("target/fastcgi-h2-sites.yaml").toAbsolutePath();
                Files.writeString(sites, """
                        default-site: fcgi-h2
                        sites:
                          - name: fcgi-h2
                            routes:
                              - {path: /early, fastcgi: {address: "127.0.0.1:%d"}}
                              - {path: /, fastcgi: {address: "127.0.0.1:%d"}}
                        """.formatted(early, waiting));
                return Map.of("edgestack.proxy.sites-file", sites.toString(), "quarkus.http.limits.max-body-size", "1M");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /** Answers a request's head and a first line once its parameters are in, then reads its body for good. */
        static int early(Vertx vertx) throws Exception {
            NetServer server = vertx.createNetServer().connectHandler(socket -> {
                socket.closeHandler(v -> EARLY_CLOSED.incrementAndGet());
                socket.handler(new FastCgiRecordReader((type, content) -> {
                    if (type == FastCgiRecords.PARAMS && content.length() == 0) {
                        Buffer head = Buffer.buffer("Content-Type: text/plain\r\n\r\nstarted\n");
                        Buffer out = Buffer.buffer();
                        FastCgiRecords.header(out, FastCgiRecords.STDOUT, head.length());
                        socket.write(out.appendBuffer(head));
                    } else if (type == FastCgiRecords.STDIN) {
                        EARLY_STDIN.addAndGet(content.length());
                    }
                    return true;
                }));
            });
            return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
        }

        @Override
        public void stop() {
            vertx.close();
        }
    }

    private Vertx vertx;
    private HttpClient client;

    @BeforeEach
    void client() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false).setDefaultHost("127.0.0.1").setDefaultPort(url.getPort()),
                new PoolOptions().setHttp2MaxSize(1));
    }

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    record Answer(int status, HttpVersion version, MultiMap headers, String body, HttpConnection connection) {
    }

    @Test
    void anUploadOverTheLimitBeforeTheScriptAnswersGets413OnItsOwnStream() throws Exception {
        Answer first = get("/page");
        assertEquals(200, first.status(), first.body());
        assertEquals(HttpVersion.HTTP_2, first.version());
        AtomicBoolean closed = new AtomicBoolean();
        first.connection().closeHandler(v -> closed.set(true));
        first.connection().exceptionHandler(e -> { }); // the test client's own, as its Vert.x closes after the test
        // 2 MiB of unknown length: the 1 MiB limit is passed while it streams, the script waiting for all of it
        Answer refused = await(client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/upload"))
                .compose(request -> {
                    Future<Answer> answer = request.response().compose(response -> response.body()
                            .map(body -> new Answer(response.statusCode(), response.version(), response.headers(), body.toString(), request.connection())));
                    upload(request, 2 * 1024 * 1024);
                    return answer;
                }));
        assertEquals(413, refused.status(), refused.body());
        assertNull(refused.headers().get("Connection"), "no connection header over HTTP/2 (RFC 9113 §8.2.2)");
        assertSame(first.connection(), refused.connection());
        Answer after = get("/after");
        assertEquals(200, after.status(), after.body());
        assertSame(first.connection(), after.connection(), "the same connection serves on");
        assertFalse(closed.get(), "the connection was not closed");
    }

    @Test
    void anUploadOverTheLimitAfterTheScriptAnsweredResetsItsOwnStream() throws Exception {
        int closedBefore = EARLY_CLOSED.get();
        Answer first = get("/page");
        assertEquals(200, first.status(), first.body());
        AtomicBoolean closed = new AtomicBoolean();
        first.connection().closeHandler(v -> closed.set(true));
        first.connection().exceptionHandler(e -> { }); // the test client's own, as its Vert.x closes after the test
        HttpClientRequest request = await(client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/early/upload")));
        request.setChunked(true);
        Future<io.vertx.core.http.HttpClientResponse> head = request.response();
        request.write(Buffer.buffer(new byte[16 * 1024]));
        var response = await(head); // the script answered before the body's end: the answer's head is out
        assertEquals(200, response.statusCode());
        assertSame(first.connection(), request.connection());
        Future<Buffer> body = response.body();
        upload(request, 2 * 1024 * 1024); // then the body passes the 1 MiB limit
        ExecutionException broken = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> await(body),
                "an answer cut short is seen broken, not as a short body");
        assertInstanceOf(StreamResetException.class, broken.getCause(), "the stream reset: " + broken.getCause());
        assertTrue(EARLY_STDIN.get() <= 1024 * 1024 + 64 * 1024, "the script was given no more than the limit: " + EARLY_STDIN.get());
        Answer after = get("/after");
        assertEquals(200, after.status(), after.body());
        assertSame(first.connection(), after.connection(), "the same connection serves on");
        assertFalse(closed.get(), "the connection was not closed");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (EARLY_CLOSED.get() == closedBefore && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(EARLY_CLOSED.get() > closedBefore, "the script's connection was closed");
    }

    /** Writes {@code size} bytes more in 64 KiB pieces, then ends the request; a stream ended meanwhile refuses them. */
    private static void upload(HttpClientRequest request, int size) {
        if (!request.isChunked()) {
            request.setChunked(true);
        }
        Buffer piece = Buffer.buffer(new byte[64 * 1024]);
        try {
            for (int written = 0; written < size; written += piece.length()) {
                request.write(piece);
            }
            request.end();
        } catch (IllegalStateException reset) {
            // the stream was ended meanwhile
        }
    }

    private Answer get(String path) throws Exception {
        return await(client.request(new RequestOptions().setURI(path)).compose(request -> request.send()
                .compose(response -> response.body()
                        .map(body -> new Answer(response.statusCode(), response.version(), response.headers(), body.toString(), request.connection())))));
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
}
