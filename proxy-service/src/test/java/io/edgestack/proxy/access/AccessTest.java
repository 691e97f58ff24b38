package io.edgestack.proxy.access;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.edgestack.proxy.files.TestRelease;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;

/**
 * A site behind a password, a route of it left open, and a site only some addresses may use, through the proxy's own
 * public port, with a real upstream on loopback.
 */
@QuarkusTest
@QuarkusTestResource(value = AccessTest.Sites.class, restrictToAnnotatedClass = true)
class AccessTest {

    static final String PASSWORD = "correct horse battery staple";
    /** Used by one test only, so that its first request is the one that waits for the bcrypt check. */
    static final String GRACES = "grace's own passphrase";

    /** An upstream that echoes what it received, and the sites file. */
    public static class Sites implements QuarkusTestResourceLifecycleManager {
        private Vertx vertx;

        @Override
        public Map<String, String> start() {
            vertx = Vertx.vertx();
            try {
                CompletableFuture<HttpServer> started = new CompletableFuture<>();
                vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> request.response()
                        .putHeader("Cache-Control", request.path().startsWith("/cached/") ? "public, max-age=60" : "no-store")
                        .putHeader("X-Authorization-Seen", String.valueOf(request.getHeader("Authorization") != null))
                        .putHeader("X-Remote-User-Seen", String.valueOf(request.headers().getAll("Remote-User")))
                        .putHeader("X-Remote-Groups-Seen", String.valueOf(request.getHeader("Remote-Groups")))
                        .end(request.method() + " " + request.uri() + " " + body)))
                        .listen(0, "127.0.0.1").onComplete(result -> {
                            if (result.succeeded()) {
                                started.complete(result.result());
                            } else {
                                started.completeExceptionally(result.cause());
                            }
                        });
                int upstream = started.get(10, TimeUnit.SECONDS).actualPort();
                int auth = authService(vertx);
                int closed;
                try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                    closed = free.getLocalPort(); // nothing listens there once it is closed
                }
                byte[] salt = new byte[16];
                new SecureRandom().nextBytes(salt);
                String hash = OpenBSDBCrypt.generate("2b", PASSWORD.toCharArray(), salt, 4); // cost 4: a test's speed
                String graces = OpenBSDBCrypt.generate("2y", GRACES.toCharArray(), salt, 6);
                String slow = OpenBSDBCrypt.generate("2b", "slow's".toCharArray(), salt, 12); // ~0.2 s a check here
                Path sites = Path.of("target/access-sites.yaml").toAbsolutePath();
                Files.writeString(sites, """
                        default-site: example
                        sites:
                          - name: example
                          - name: staging
                            hosts: [staging.test]
                            access:
                              basic-auth:
                                realm: Staging of example
                                users: {ada: "%1$s", grace: "%3$s", slow: "%4$s"}
                            redirects:
                              - {from: /old, to: /new}
                            routes:
                              - {path: /, static: {}}
                              - {path: /healthz, static: {}, access: {}}
                              - path: /api/
                                upstream: {targets: ["http://127.0.0.1:%2$d"]}
                          - name: office
                            hosts: [office.test]
                            access:
                              allow: [10.1.0.0/16, "2001:db8::/32"]
                              deny: [10.1.2.3]
                          - name: busy
                            hosts: [busy.test]
                            rate-limit: {requests: 3, per: 1m}
                            routes:
                              - {path: /, static: {}}
                              - {path: /healthz, static: {}, rate-limit: {}}
                              - {path: /login, static: {}, rate-limit: {requests: 1, per: 1h}, access: {basic-auth: {users: {ada: "%1$s"}}}}
                          - name: portal
                            hosts: [portal.test]
                            access:
                              forward-auth:
                                url: "http://127.0.0.1:%5$d/api/verify?app=portal"
                                copy-headers: [Remote-User, Remote-Groups]
                                timeout: 700ms
                            edge-cache: {}
                            routes:
                              - path: /
                                upstream: {targets: ["http://127.0.0.1:%2$d"]}
                              - {path: /public/, upstream: {targets: ["http://127.0.0.1:%2$d"]}, access: {}}
                          - name: closing
                            hosts: [closing.test]
                            routes:
                              - {path: /, static: {}}
                              - {path: /api/, upstream: {targets: ["http://127.0.0.1:%2$d"]}}
                          - name: gone
                            hosts: [gone.test]
                            access: {forward-auth: {url: "http://127.0.0.1:%6$d/verify"}}
                        """.formatted(hash, upstream, graces, slow, auth, closed));
                return Map.of("edgestack.proxy.sites-file", sites.toString(),
                        "edgestack.proxy.trusted-proxies", "127.0.0.1,::1", "edgestack.proxy.password-checks-waiting", "2");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        /**
         * An authentication service as Authelia answers forward-auth: a known session cookie gets 200 with the user's
         * headers (one session, none), anything else a redirect to the login page naming where the visitor was going;
         * a visit to /slow is answered after a second. Every answer says what the service was asked.
         */
        static int authService(Vertx vertx) throws Exception {
            CompletableFuture<HttpServer> started = new CompletableFuture<>();
            vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
                String seen = request.method() + " " + request.uri() + " method=" + request.getHeader("X-Forwarded-Method")
                        + " for=" + request.getHeader("X-Forwarded-For") + " length=" + request.getHeader("Content-Length")
                        + " body=" + body.length() + " user=" + request.getHeader("Remote-User")
                        + " id=" + request.getHeader("X-Request-Id");
                var response = request.response().putHeader("X-Auth-Saw", seen);
                String cookie = String.valueOf(request.getHeader("Cookie"));
                Runnable answer = () -> {
                    if (cookie.contains("session=alice")) {
                        response.putHeader("Remote-User", "alice").putHeader("Remote-Groups", "admins,dev").end();
                    } else if (cookie.contains("session=bob")) {
                        response.putHeader("Remote-User", "bob").end();
                    } else if (cookie.contains("session=anonymous")) {
                        response.setStatusCode(204).end();
                    } else {
                        response.setStatusCode(302).putHeader("Set-Cookie", "flow=1; HttpOnly")
                                .putHeader("Location", "https://auth.test/login?rd=" + request.getHeader("X-Forwarded-Proto")
                                        + "://" + request.getHeader("X-Forwarded-Host") + request.getHeader("X-Forwarded-Uri"))
                                .end("log in first");
                    }
                };
                if (String.valueOf(request.getHeader("X-Forwarded-Uri")).startsWith("/stream")) {
                    // a long refusal sent in two parts: the second once the file the visitor names exists (or 5 s on)
                    response.setStatusCode(401).setChunked(true).putHeader("Content-Type", "text/plain").write("first;");
                    Path go = Path.of(request.getHeader("X-Go-File"));
                    long until = System.currentTimeMillis() + 5000;
                    vertx.setPeriodic(50, timer -> {
                        if (Files.exists(go) || System.currentTimeMillis() > until) {
                            vertx.cancelTimer(timer);
                            response.end("rest");
                        }
                    });
                } else if (String.valueOf(request.getHeader("X-Forwarded-Uri")).startsWith("/slow")) {
                    vertx.setTimer(1500, id -> answer.run());
                } else {
                    answer.run();
                }
            })).listen(0, "127.0.0.1").onComplete(result -> {
                if (result.succeeded()) {
                    started.complete(result.result());
                } else {
                    started.completeExceptionally(result.cause());
                }
            });
            return started.get(10, TimeUnit.SECONDS).actualPort();
        }

        @Override
        public void stop() {
            vertx.close();
        }
    }

    @io.quarkus.test.common.http.TestHTTPResource(value = "", management = true)
    java.net.URL management;

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL url;

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @BeforeEach
    void releases() {
        for (String site : List.of("staging", "office", "busy", "closing")) {
            TestRelease release = new TestRelease(Path.of("target/test-releases"), site).clear();
            release.file("r1", "index.html", "<h1>" + site + " home</h1>");
            release.file("r1", "healthz", "ok");
            release.activate("r1");
        }
    }

    @Test
    void aSiteBehindAPasswordAsksForItAndLetsTheRightOneIn() {
        Response asked = given().header("Host", "staging.test").get("/").then().statusCode(401).extract().response();
        assertEquals("Basic realm=\"Staging of example\", charset=\"UTF-8\"", asked.header("WWW-Authenticate"));
        assertTrue(!asked.asString().contains("staging home"), asked.asString());
        given().header("Host", "staging.test").header("Authorization", basic("ada", "wrong")).get("/").then().statusCode(401)
                .body(containsString("wrong"));
        given().header("Host", "staging.test").header("Authorization", basic("bob", PASSWORD)).get("/").then().statusCode(401);
        given().header("Host", "staging.test").header("Authorization", "Basic !!!not-base64").get("/").then().statusCode(401);
        given().header("Host", "staging.test").header("Authorization", "Bearer " + PASSWORD).get("/").then().statusCode(401);
        io.edgestack.proxy.http.RawHttp.Answer two = io.edgestack.proxy.http.RawHttp.send(url.getPort(), "GET / HTTP/1.1\r\nHost: staging.test\r\n"
                + "Authorization: " + basic("ada", PASSWORD) + "\r\nAuthorization: " + basic("ada", "other")
                + "\r\nConnection: close\r\n\r\n");
        assertEquals(401, two.status(), "two Authorization headers: neither is taken");
        for (int i = 0; i < 3; i++) { // the first is checked on a worker, the next ones from the remembered check
            given().header("Host", "staging.test").header("Authorization", basic("ada", PASSWORD)).get("/").then()
                    .statusCode(200).body(equalTo("<h1>staging home</h1>"));
        }
        // the site's redirects are behind its password too; a route may open what its site closes
        given().header("Host", "staging.test").redirects().follow(false).get("/old").then().statusCode(401);
        given().header("Host", "staging.test").get("/healthz").then().statusCode(200).body(equalTo("ok"));
        // JSON clients get a problem document
        given().header("Host", "staging.test").accept("application/json").get("/").then().statusCode(401)
                .contentType("application/problem+json");
    }

    @Test
    void anAuthenticationServiceDecidesForASiteWithForwardAuth() {
        // no session: the service's own answer (its redirect to the login page, its cookie, its body), the app unasked
        Response login = given().header("Host", "portal.test").header("X-Forwarded-For", "198.51.100.9")
                .header("X-Forwarded-Proto", "https").redirects().follow(false).get("/app/page?x=1")
                .then().statusCode(302).extract().response();
        assertEquals("https://auth.test/login?rd=https://portal.test/app/page?x=1", login.header("Location"));
        assertEquals("flow=1; HttpOnly", login.header("Set-Cookie"));
        assertEquals("log in first", login.asString());
        assertEquals("GET /api/verify?app=portal method=GET for=198.51.100.9 length=null body=0 user=null id="
                + login.header("X-Request-Id"), login.header("X-Auth-Saw"), "asked with the request's own id");
        assertEquals(1, login.headers().getValues("X-Request-Id").size());
        // a session: the app answers, told who the visitor is by the service (and never by the visitor)
        for (String claimed : List.of("", "mallory")) {
            var asked = given().header("Host", "portal.test").header("Cookie", "session=alice");
            if (!claimed.isEmpty()) {
                asked = asked.header("Remote-User", claimed);
            }
            asked.get("/app/page").then().statusCode(200).body(equalTo("GET /app/page "))
                    .header("X-Remote-User-Seen", "[alice]").header("X-Remote-Groups-Seen", "admins,dev");
        }
        given().header("Host", "portal.test").header("Cookie", "session=anonymous").header("Remote-User", "mallory")
                .get("/app/page").then().statusCode(200).header("X-Remote-User-Seen", "[]");
        // a route may open what its site closes
        given().header("Host", "portal.test").get("/public/x").then().statusCode(200).body(equalTo("GET /public/x "));
        // the site has an edge cache, and the app calls its page public: still, alice's page is never bob's
        given().header("Host", "portal.test").header("Cookie", "session=alice").get("/cached/page").then().statusCode(200)
                .header("X-Remote-User-Seen", "[alice]");
        given().header("Host", "portal.test").header("Cookie", "session=bob").get("/cached/page").then().statusCode(200)
                .header("X-Remote-User-Seen", "[bob]");
    }

    @Test
    void aBodyWaitsForTheAuthenticationServiceAndReachesTheAppWhole() {
        String body = "y".repeat(300_000);
        given().header("Host", "portal.test").header("Cookie", "session=alice").body(body).post("/upload").then()
                .statusCode(200).body(equalTo("POST /upload " + body));
        Response refused = given().header("Host", "portal.test").body(body).redirects().follow(false).post("/upload")
                .then().statusCode(302).extract().response();
        assertTrue(refused.header("X-Auth-Saw").startsWith("GET /api/verify?app=portal method=POST for=127.0.0.1 length=null "
                + "body=0 user=null id="), "the service is asked with the method named, never sent the body: "
                + refused.header("X-Auth-Saw"));
    }

    @Test
    void theAuthenticationServicesRefusalIsStreamedToTheVisitorNotHeldWhole() throws Exception {
        Path go = Files.createTempFile("edgestack-go", "");
        Files.delete(go);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", url.getPort())) {
            socket.setSoTimeout(3000);
            socket.getOutputStream().write(("GET /stream HTTP/1.1\r\nHost: portal.test\r\nX-Go-File: " + go + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            var in = socket.getInputStream();
            // the first part reaches the visitor while the service still holds the rest (held whole, it never would)
            String head = readUntil(in, "first;");
            assertTrue(head.startsWith("HTTP/1.1 401"), head);
            Files.createFile(go);
            assertTrue(readUntil(in, "0\r\n\r\n").contains("rest"));
        } finally {
            Files.deleteIfExists(go);
        }
    }

    private static String readUntil(java.io.InputStream in, String end) throws java.io.IOException {
        StringBuilder seen = new StringBuilder();
        while (seen.indexOf(end) < 0) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("closed after: " + seen);
            }
            seen.append((char) b);
        }
        return seen.toString();
    }

    @Test
    void anAuthenticationServiceThatIsDownOrSlowIsABadGatewayNotAnOpenDoor() {
        given().header("Host", "gone.test").get("/").then().statusCode(502)
                .body(containsString("authentication service could not be reached"));
        given().header("Host", "portal.test").header("Cookie", "session=alice").get("/slow").then().statusCode(504)
                .body(not(containsString("GET /slow")));
        given().header("Host", "gone.test").accept("application/json").get("/").then().statusCode(502)
                .contentType("application/problem+json");
    }

    @Test
    void aSiteInMaintenanceAnswersEveryRouteWith503AndItsMessageUntilTheFileIsGone() throws Exception {
        Path file = Path.of("target/test-releases/closing/maintenance.json");
        try {
            given().header("Host", "closing.test").get("/").then().statusCode(200).body(equalTo("<h1>closing home</h1>"));
            Files.writeString(file, "{\"message\": \"Moving to a new database, back at 14:00.\", \"since\": \"now\"}");
            awaitStatus("closing.test", "/", 503);
            Response down = given().header("Host", "closing.test").get("/").then().statusCode(503).extract().response();
            assertTrue(down.asString().contains("Moving to a new database, back at 14:00."), down.asString());
            assertEquals("120", down.header("Retry-After"));
            assertEquals("no-store", down.header("Cache-Control"));
            given().header("Host", "closing.test").get("/api/orders").then().statusCode(503)
                    .body(not(containsString("GET /api/orders")));
            given().header("Host", "closing.test").accept("application/json").get("/").then().statusCode(503)
                    .contentType("application/problem+json").body(containsString("back at 14:00"));
            given().header("Host", "busy.test").header("X-Forwarded-For", "198.51.100.99").get("/healthz").then()
                    .statusCode(200); // the other sites are not concerned
            // the live release's own maintenance page, when it has one (JSON clients still get the message)
            new TestRelease(Path.of("target/test-releases"), "closing").file("r1", "maintenance.html", "<h1>closing: back soon</h1>");
            for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); System.nanoTime() < until
                    && !given().header("Host", "closing.test").get("/").asString().contains("back soon"); ) {
                Thread.sleep(100);
            }
            given().header("Host", "closing.test").get("/").then().statusCode(503).header("Retry-After", "120")
                    .body(equalTo("<h1>closing: back soon</h1>"));
            given().header("Host", "closing.test").accept("application/json").get("/").then().statusCode(503)
                    .body(containsString("back at 14:00"));
            Files.delete(file);
            awaitStatus("closing.test", "/", 200);
            given().header("Host", "closing.test").get("/api/orders").then().statusCode(200).body(equalTo("GET /api/orders "));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void awaitStatus(String host, String path, int status) throws InterruptedException {
        for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); System.nanoTime() < until; Thread.sleep(100)) {
            if (given().header("Host", host).get(path).then().extract().statusCode() == status) {
                return;
            }
        }
        assertEquals(status, given().header("Host", host).get(path).then().extract().statusCode(), host + path);
    }

    @Test
    void aFloodOfPasswordGuessesIsTurnedAwayRatherThanQueued() throws Exception {
        java.util.concurrent.ExecutorService guessers = java.util.concurrent.Executors.newFixedThreadPool(12);
        try {
            List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String guess = "guess " + i; // each a new password: nothing remembered
                answers.add(guessers.submit(() -> given().header("Host", "staging.test").header("Authorization", basic("slow", guess))
                        .get("/").then().extract().statusCode()));
            }
            List<Integer> statuses = new java.util.ArrayList<>();
            for (var answer : answers) {
                statuses.add(answer.get(60, TimeUnit.SECONDS));
            }
            assertTrue(statuses.contains(503) && statuses.contains(401) && !statuses.contains(200),
                    "some checked and refused, the others turned away at once: " + statuses);
        } finally {
            guessers.shutdownNow();
        }
        // then the right password still gets in
        given().header("Host", "staging.test").header("Authorization", basic("slow", "slow's")).get("/").then().statusCode(200);
        given().header("Host", "staging.test").header("Authorization", basic("x", "y")).get("/").then().statusCode(401)
                .header("WWW-Authenticate", containsString("Basic"));
    }

    @Test
    void aProxiedRouteGetsItsBodyWholeAfterThePasswordCheck() {
        String body = "x".repeat(200_000);
        // a password not checked yet: the request waits for the check, paused, and loses none of its body
        for (int i = 0; i < 2; i++) {
            given().header("Host", "staging.test").header("Authorization", basic("grace", GRACES)).body(body)
                    .post("/api/upload").then().statusCode(200).body(equalTo("POST /api/upload " + body))
                    .header("X-Authorization-Seen", "true");
        }
        given().header("Host", "staging.test").body(body).post("/api/upload").then().statusCode(401)
                .body(not(containsString("POST /api/upload")));
    }

    @Test
    void aClientOverItsRateIsToldToComeBackLaterAndTheOthersAreNot() {
        for (int i = 0; i < 3; i++) {
            given().header("Host", "busy.test").header("X-Forwarded-For", "198.51.100.7").get("/").then().statusCode(200);
        }
        Response refused = given().header("Host", "busy.test").header("X-Forwarded-For", "198.51.100.7").get("/").then()
                .statusCode(429).extract().response();
        long retry = Long.parseLong(refused.header("Retry-After"));
        assertTrue(retry >= 1 && retry <= 20, "3 a minute: the next one within 20 s, said " + retry);
        assertTrue(!refused.asString().contains("busy home"), refused.asString());
        given().header("Host", "busy.test").header("X-Forwarded-For", "198.51.100.8").get("/").then().statusCode(200);
        // a route may lift its site's limit
        for (int i = 0; i < 5; i++) {
            given().header("Host", "busy.test").header("X-Forwarded-For", "198.51.100.7").get("/healthz").then().statusCode(200);
        }
        // the limit comes before the password: a guess past the limit is not even checked
        given().header("Host", "busy.test").header("X-Forwarded-For", "198.51.100.9").header("Authorization", basic("ada", "guess"))
                .get("/login").then().statusCode(401);
        given().header("Host", "busy.test").header("X-Forwarded-For", "198.51.100.9").header("Authorization", basic("ada", PASSWORD))
                .get("/login").then().statusCode(429).header("Retry-After", org.hamcrest.Matchers.notNullValue());
        String metrics = given().get(management + "metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("edgestack_proxy_rate_limited_total{route=\"/\",site=\"busy\"} 1.0"), metrics);
        assertTrue(metrics.contains("edgestack_proxy_rate_limited_total{route=\"/login\",site=\"busy\"} 1.0"), metrics);
    }

    @Test
    void onlyTheAllowedAddressesReachAnAddressRestrictedSite() {
        // the peer (127.0.0.1) is a trusted proxy, as the tunnel's connector: the visitor is read from X-Forwarded-For
        given().header("Host", "office.test").header("X-Forwarded-For", "10.1.5.5").get("/").then().statusCode(200)
                .body(equalTo("<h1>office home</h1>"));
        given().header("Host", "office.test").header("X-Forwarded-For", "2001:db8::7").get("/").then().statusCode(200);
        given().header("Host", "office.test").header("X-Forwarded-For", "10.1.2.3").get("/").then().statusCode(403)
                .body(not(containsString("office home")));
        given().header("Host", "office.test").header("X-Forwarded-For", "192.0.2.1").get("/").then().statusCode(403);
        // a visitor who writes an allowed address first is known by the address the trusted proxy added after it
        given().header("Host", "office.test").header("X-Forwarded-For", "10.1.5.5, 192.0.2.1").get("/").then().statusCode(403);
        given().header("Host", "office.test").header("X-Forwarded-For", "not-an-address").get("/").then().statusCode(403);
        given().header("Host", "office.test").get("/").then().statusCode(403); // 127.0.0.1 itself is not allowed
        // the other sites are open
        given().get("/").then().statusCode(not(403));
    }
}
