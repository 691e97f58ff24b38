package io.edgestack.proxy.fastcgi;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.edgestack.proxy.files.TestRelease;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetServer;

/**
 * A route's {@code keepalive}: connections to the FastCGI server are used again, and a kept connection the server let
 * go is replaced without the visitor seeing it. Against FastCGI servers of the test's own on loopback that count
 * their connections: one that keeps connections when asked (FCGI_KEEP_CONN), and one that, as PHP-FPM recycling a
 * worker, closes a connection without an answer when its third request comes.
 */
@QuarkusTest
@QuarkusTestResource(value = FastCgiKeepAliveTest.Servers.class, restrictToAnnotatedClass = true)
class FastCgiKeepAliveTest {

    @TestHTTPResource("/")
    java.net.URL url;

    static final AtomicInteger KEEPING_CONNECTIONS = new AtomicInteger();
    static final AtomicInteger RECYCLING_CONNECTIONS = new AtomicInteger();
    static final AtomicInteger DROPPED = new AtomicInteger();
    static final AtomicInteger SLOW_CONNECTIONS = new AtomicInteger();
    /** The slow server's connections open now, and the most open 50 ms after one was accepted. */
    static final AtomicInteger SLOW_OPEN = new AtomicInteger();
    static final AtomicInteger SLOW_MOST_OPEN = new AtomicInteger();

    public static class Servers implements QuarkusTestResourceLifecycleManager {
        private Vertx vertx;

        @Override
        public Map<String, String> start() {
            vertx = Vertx.vertx();
            try {
                int keeping = server(vertx, KEEPING_CONNECTIONS, false, 0, null);
                int recycling = server(vertx, RECYCLING_CONNECTIONS, true, 0, null);
                int slow = server(vertx, SLOW_CONNECTIONS, false, 300, SLOW_OPEN);
                int slowToo = server(vertx, new AtomicInteger(), false, 300, null);
                for (String site : new String[] {"fcgi-kept", "fcgi-fresh", "fcgi-recycled", "fcgi-two", "fcgi-one"}) {
                    TestRelease release = new TestRelease(Path.of("target/test-releases"), site).clear();
                    release.file("r1", "index.php", "<?php // answered by the test's own FastCGI server");
                    release.activate("r1");
                }
                Path sites = Path.of("target/fastcgi-keepalive-sites.yaml").toAbsolutePath();
                Files.writeString(sites, """
                        default-site: fcgi-kept
                        sites:
                          - name: fcgi-kept
                            routes: [{path: /, fastcgi: {address: "127.0.0.1:%1$d", keepalive: 4}}]
                          - name: fcgi-fresh
                            hosts: [fresh.test]
                            routes: [{path: /, fastcgi: {address: "127.0.0.1:%1$d"}}]
                          - name: fcgi-recycled
                            hosts: [recycled.test]
                            routes: [{path: /, fastcgi: {address: "127.0.0.1:%2$d", keepalive: 4}}]
                          - name: fcgi-two
                            hosts: [two.test]
                            routes: [{path: /, fastcgi: {address: "127.0.0.1:%3$d", keepalive: 2}}]
                          - name: fcgi-one
                            hosts: [one.test]
                            routes: [{path: /, fastcgi: {address: "127.0.0.1:%4$d", keepalive: 1, connect-timeout: 100ms}}]
                        """.formatted(keeping, recycling, slow, slowToo));
                return Map.of("edgestack.proxy.sites-file", sites.toString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /**
         * A FastCGI responder that says which of its connections and which request on it answered, after
         * {@code delayMillis}; counting its connections open now in {@code open} (and the most at once) when not null.
         */
        static int server(Vertx vertx, AtomicInteger connections, boolean recycleOnThird, long delayMillis, AtomicInteger open)
                throws Exception {
            NetServer server = vertx.createNetServer().connectHandler(socket -> {
                int connection = connections.incrementAndGet();
                if (open != null) {
                    // counted 50 ms after the accept, well inside the 300 ms a request on it takes: a connection the
                    // proxy closed to dial another has been seen closing by then (its FIN may come after the new SYN)
                    SLOW_OPEN.incrementAndGet();
                    socket.closeHandler(v -> SLOW_OPEN.decrementAndGet());
                    vertx.setTimer(50, id -> SLOW_MOST_OPEN.accumulateAndGet(SLOW_OPEN.get(), Math::max));
                }
                int[] requests = {0};
                boolean[] keep = {false};
                socket.handler(new FastCgiRecordReader((type, content) -> {
                    if (type == FastCgiRecords.BEGIN_REQUEST) {
                        keep[0] = (content.getUnsignedByte(2) & FastCgiRecords.KEEP_CONN) != 0;
                        requests[0]++;
                        if (recycleOnThird && requests[0] == 3) {
                            DROPPED.incrementAndGet();
                            socket.close();
                            return false;
                        }
                    } else if (type == FastCgiRecords.STDIN && content.length() == 0) {
                        String text = "connection " + connection + " request " + requests[0];
                        Buffer body = Buffer.buffer("Content-Type: text/plain\r\nContent-Length: " + text.length() + "\r\n\r\n" + text);
                        Buffer out = Buffer.buffer();
                        FastCgiRecords.header(out, FastCgiRecords.STDOUT, body.length());
                        out.appendBuffer(body);
                        FastCgiRecords.header(out, FastCgiRecords.END_REQUEST, 8);
                        out.appendBytes(new byte[8]);
                        boolean close = !keep[0];
                        Runnable answer = () -> {
                            socket.write(out);
                            if (close) {
                                socket.close();
                            }
                        };
                        if (delayMillis > 0) {
                            vertx.setTimer(delayMillis, id -> answer.run());
                        } else {
                            answer.run();
                        }
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

    @Test
    void connectionsAreUsedAgainWhenTheRouteKeepsThem() {
        int before = KEEPING_CONNECTIONS.get();
        for (int i = 0; i < 5; i++) {
            given().header("Host", "fresh.test").get("/page/" + i).then().statusCode(200).body(startsWith("connection "));
        }
        assertEquals(5, KEEPING_CONNECTIONS.get() - before, "without keepalive: a connection a request");
        before = KEEPING_CONNECTIONS.get();
        for (int i = 0; i < 20; i++) {
            given().get("/page/" + i).then().statusCode(200).body(startsWith("connection "));
        }
        int used = KEEPING_CONNECTIONS.get() - before;
        assertTrue(used <= 4, "20 requests on at most one connection per event loop, not " + used);
        // a request with a body goes on a connection of its own, and the kept ones still serve afterwards
        before = KEEPING_CONNECTIONS.get();
        given().body("hello").post("/form").then().statusCode(200);
        assertEquals(1, KEEPING_CONNECTIONS.get() - before);
        given().get("/after").then().statusCode(200);
    }

    @Test
    void aKeptConnectionTheServerLetGoIsReplacedUnseen() {
        int dropped = DROPPED.get();
        for (int i = 0; i < 12; i++) {
            given().header("Host", "recycled.test").get("/page/" + i).then().statusCode(200).body(startsWith("connection "));
        }
        assertTrue(DROPPED.get() > dropped, "the server dropped kept connections, and every request was answered");
    }

    @Test
    void noMoreConnectionsThanTheRouteKeepsAreOpenAtOnceAndTheRestWaitTheirTurn() throws Exception {
        // PHP-FPM binds a worker to each open connection, idle or not: with keepalive 2, twelve requests at once take
        // turns on at most two connections at a time (each answer takes 300 ms), none dialled past them to wait in
        // PHP-FPM's backlog behind workers that kept connections hold. Before: a connection a request at once, 12 open.
        SLOW_MOST_OPEN.set(0);
        int before = SLOW_CONNECTIONS.get();
        List<Answer> answers = atOnce("two.test", "/page/", 12);
        for (Answer answer : answers) {
            assertEquals(200, answer.status(), answer.body());
        }
        assertTrue(SLOW_MOST_OPEN.get() <= 2, "at most 2 connections open at once, not " + SLOW_MOST_OPEN.get());
        assertTrue(SLOW_CONNECTIONS.get() - before < 12, "kept connections used again: " + (SLOW_CONNECTIONS.get() - before)
                + " for 12 answers");
    }

    @Test
    void aRequestThatWaitsLongerThanTheConnectTimeoutForAConnectionGets504() throws Exception {
        // keepalive 1, connect-timeout 100 ms, answers in 300 ms: of two requests at once, one waits too long
        List<Integer> statuses = new ArrayList<>();
        for (Answer answer : atOnce("one.test", "/wait/", 2)) {
            statuses.add(answer.status());
            if (answer.status() == 504) {
                assertTrue(answer.body().contains("came free in time"), answer.body());
            }
        }
        Collections.sort(statuses);
        assertEquals(List.of(200, 504), statuses);
        given().header("Host", "one.test").get("/after").then().statusCode(200); // the connection serves on
    }

    record Answer(int status, String body) {
    }

    /** {@code count} GET requests sent at once, each on a connection of its own; their answers in order. */
    private List<Answer> atOnce(String host, String path, int count) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false),
                    new PoolOptions().setHttp1MaxSize(count));
            List<Future<Answer>> answers = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                answers.add(client.request(new RequestOptions().setHost("127.0.0.1").setPort(url.getPort()).setURI(path + i)
                        .putHeader("Host", host).putHeader("Accept", "application/json"))
                        .compose(request -> request.send())
                        .compose(response -> response.body().map(body -> new Answer(response.statusCode(), body.toString()))));
            }
            List<Answer> out = new ArrayList<>();
            for (Future<Answer> answer : answers) {
                out.add(answer.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
