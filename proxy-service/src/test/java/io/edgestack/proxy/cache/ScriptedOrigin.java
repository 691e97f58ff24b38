package io.edgestack.proxy.cache;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

/**
 * Origins whose answers each test scripts per path, counting what reaches them: the cache is judged by what the origin
 * sees. Origin A serves the site {@code cached}; origin B, which a test can stop, serves {@code always} (stale when
 * down).
 */
public class ScriptedOrigin implements QuarkusTestResourceLifecycleManager {

    /** What the origin answers: status, headers, body, and a delay. */
    public record Reply(int status, Map<String, String> headers, String body, long delayMillis) {
        static Reply ok(String body, String... headers) {
            Map<String, String> map = new java.util.LinkedHashMap<>();
            int status = 200;
            for (int i = 0; i + 1 < headers.length; i += 2) {
                if (headers[i].equals("X-Status")) {
                    status = Integer.parseInt(headers[i + 1]);
                } else {
                    map.put(headers[i], headers[i + 1]);
                }
            }
            return new Reply(status, map, body, 0);
        }

        Reply status(int code) {
            return new Reply(code, headers, body, delayMillis);
        }

        Reply delayed(long millis) {
            return new Reply(status, headers, body, millis);
        }
    }

    /** What the origin saw of one request. */
    public record Seen(String path, MultiMap headers) {
    }

    static final Map<String, Function<HttpServerRequest, Reply>> SCRIPTS = new ConcurrentHashMap<>();
    static final Map<String, AtomicInteger> HITS = new ConcurrentHashMap<>();
    static final List<Seen> SEEN = new CopyOnWriteArrayList<>();
    static int portA;
    static int portB;
    static HttpServer serverB;
    static Vertx vertx;

    static void script(String path, Function<HttpServerRequest, Reply> reply) {
        SCRIPTS.put(path, reply);
        HITS.remove(path);
    }

    static int hits(String path) {
        AtomicInteger count = HITS.get(path);
        return count == null ? 0 : count.get();
    }

    static Seen last(String path) {
        for (int i = SEEN.size() - 1; i >= 0; i--) {
            if (SEEN.get(i).path().equals(path)) {
                return SEEN.get(i);
            }
        }
        return null;
    }

    @Override
    public Map<String, String> start() {
        vertx = Vertx.vertx();
        try {
            portA = server("A").listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).actualPort();
            serverB = server("B");
            portB = serverB.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).actualPort();
            Path sites = Path.of("target/cache-sites.yaml");
            Files.writeString(sites, """
                    default-site: cached
                    sites:
                      - name: cached
                        routes:
                          - path: /
                            upstream: {targets: [http://127.0.0.1:%1$d], intercept-errors: false, passive: {failures: 0}}
                        edge-cache:
                          bypass-cookies: [session, wordpress_logged_in_*]
                      - name: always
                        hosts: [always.test]
                        routes:
                          - path: /
                            upstream: {targets: [http://127.0.0.1:%2$d], intercept-errors: false, passive: {failures: 0}, retries: 0}
                        edge-cache:
                          stale-when-down: 1h
                    """.formatted(portA, portB));
            return Map.of("edgestack.proxy.sites-file", sites.toAbsolutePath().toString(),
                    "edgestack.proxy.admin-token", CacheTest.TOKEN,
                    "edgestack.proxy.cache.max-object-size", "64K");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static HttpServer server(String name) {
        return vertx.createHttpServer().requestHandler(request -> {
            request.response().putHeader("X-Origin", name);
            String path = request.path();
            HITS.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            SEEN.add(new Seen(path, MultiMap.caseInsensitiveMultiMap().addAll(request.headers())));
            Function<HttpServerRequest, Reply> script = SCRIPTS.get(path);
            Reply reply = script == null ? new Reply(404, Map.of(), "no script for " + path, 0) : script.apply(request);
            Runnable answer = () -> {
                var response = request.response().setStatusCode(reply.status());
                reply.headers().forEach(response::putHeader);
                if (reply.status() == 304) {
                    response.end();
                } else {
                    response.end(reply.body());
                }
            };
            if (reply.delayMillis() > 0) {
                vertx.setTimer(reply.delayMillis(), t -> answer.run());
            } else {
                answer.run();
            }
        });
    }

    static void stopB() throws Exception {
        serverB.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    static void startB() throws Exception {
        serverB = server("B");
        serverB.listen(portB, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Override
    public void stop() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // best effort
        }
    }
}
