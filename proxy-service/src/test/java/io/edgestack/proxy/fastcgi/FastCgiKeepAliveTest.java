package io.edgestack.proxy.fastcgi;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.edgestack.proxy.files.TestRelease;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
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

    static final AtomicInteger KEEPING_CONNECTIONS = new AtomicInteger();
    static final AtomicInteger RECYCLING_CONNECTIONS = new AtomicInteger();
    static final AtomicInteger DROPPED = new AtomicInteger();

    public static class Servers implements QuarkusTestResourceLifecycleManager {
        private Vertx vertx;

        @Override
        public Map<String, String> start() {
            vertx = Vertx.vertx();
            try {
                int keeping = server(vertx, KEEPING_CONNECTIONS, false);
                int recycling = server(vertx, RECYCLING_CONNECTIONS, true);
                for (String site : new String[] {"fcgi-kept", "fcgi-fresh", "fcgi-recycled"}) {
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
                        """.formatted(keeping, recycling));
                return Map.of("edgestack.proxy.sites-file", sites.toString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /** A FastCGI responder that says which of its connections and which request on it answered. */
        static int server(Vertx vertx, AtomicInteger connections, boolean recycleOnThird) throws Exception {
            NetServer server = vertx.createNetServer().connectHandler(socket -> {
                int connection = connections.incrementAndGet();
                int[] requests = {0};
                boolean[] keep = {false};
                Buffer[] pending = {Buffer.buffer()};
                socket.handler(data -> {
                    pending[0].appendBuffer(data);
                    while (pending[0].length() >= 8) {
                        int type = pending[0].getUnsignedByte(1);
                        int length = pending[0].getUnsignedShort(4);
                        int padding = pending[0].getUnsignedByte(6);
                        if (pending[0].length() < 8 + length + padding) {
                            break;
                        }
                        Buffer content = pending[0].getBuffer(8, 8 + length);
                        pending[0] = pending[0].getBuffer(8 + length + padding, pending[0].length());
                        if (type == FastCgiRecords.BEGIN_REQUEST) {
                            keep[0] = (content.getUnsignedByte(2) & FastCgiRecords.KEEP_CONN) != 0;
                            requests[0]++;
                            if (recycleOnThird && requests[0] == 3) {
                                DROPPED.incrementAndGet();
                                socket.close();
                                return;
                            }
                        } else if (type == FastCgiRecords.STDIN && length == 0) {
                            String text = "connection " + connection + " request " + requests[0];
                            Buffer body = Buffer.buffer("Content-Type: text/plain\r\nContent-Length: " + text.length() + "\r\n\r\n" + text);
                            Buffer out = Buffer.buffer();
                            FastCgiRecords.header(out, FastCgiRecords.STDOUT, body.length());
                            out.appendBuffer(body);
                            FastCgiRecords.header(out, FastCgiRecords.END_REQUEST, 8);
                            out.appendBytes(new byte[8]);
                            socket.write(out);
                            if (!keep[0]) {
                                socket.close();
                            }
                        }
                    }
                });
            });
            CompletableFuture<NetServer> started = new CompletableFuture<>();
            server.listen(0, "127.0.0.1").onComplete(r -> {
                if (r.succeeded()) {
                    started.complete(r.result());
                } else {
                    started.completeExceptionally(r.cause());
                }
            });
            return started.get(10, TimeUnit.SECONDS).actualPort();
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
}
