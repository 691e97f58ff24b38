package io.edgestack.proxy.fastcgi;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.edgestack.proxy.files.TestRelease;
import io.edgestack.testkit.PhpFpm;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;

/**
 * A PHP site through a real PHP-FPM on loopback, as Caddy's {@code php_fastcgi}: scripts, path info, folders with an
 * index script, a front controller for every other path, static files served as such, bodies both ways, statuses and
 * headers from the script, the timeouts and a FastCGI server that is not there.
 */
@QuarkusTest
@QuarkusTestResource(value = FastCgiTest.Php.class, restrictToAnnotatedClass = true)
class FastCgiTest {

    static final String SITE = "php-shop";

    public static class Php implements QuarkusTestResourceLifecycleManager {
        private PhpFpm fpm;
        private PhpFpm unixFpm;

        @Override
        public Map<String, String> start() {
            try {
                fpm = PhpFpm.start();
                unixFpm = PhpFpm.start(true);
                TestRelease release = new TestRelease(Path.of("target/test-releases"), SITE).clear();
                String echo = """
                        <?php
                        header('Content-Type: application/json');
                        echo json_encode([
                            'script' => $_SERVER['SCRIPT_NAME'], 'filename' => $_SERVER['SCRIPT_FILENAME'],
                            'uri' => $_SERVER['REQUEST_URI'], 'path_info' => $_SERVER['PATH_INFO'] ?? null,
                            'query' => $_SERVER['QUERY_STRING'], 'method' => $_SERVER['REQUEST_METHOD'],
                            'https' => $_SERVER['HTTPS'] ?? null, 'remote' => $_SERVER['REMOTE_ADDR'],
                            'host' => $_SERVER['HTTP_HOST'] ?? null, 'server_name' => $_SERVER['SERVER_NAME'],
                            'server_port' => $_SERVER['SERVER_PORT'], 'proxy' => $_SERVER['HTTP_PROXY'] ?? null,
                            'underscored' => $_SERVER['HTTP_X_USER'] ?? null, 'cookie' => $_SERVER['HTTP_COOKIE'] ?? null,
                            'app_env' => $_SERVER['APP_ENV'] ?? null, 'length' => strlen(file_get_contents('php://input')),
                            'md5' => md5(file_get_contents('php://input')), 'post' => $_POST,
                        ]);
                        """;
                release.file("r1", "index.php", echo);
                release.file("r1", "api.php", "<?php require __DIR__ . '/index.php';");
                release.file("r1", "shop/index.php", "<?php echo 'the shop at ' . $_SERVER['SCRIPT_NAME'];");
                release.file("r1", "teapot.php", "<?php http_response_code(418); header('X-App: brewed'); echo 'short and stout';");
                release.file("r1", "moved.php", "<?php header('Location: /elsewhere');");
                release.file("r1", "big.php", "<?php for ($i = 0; $i < 64; $i++) { echo str_repeat(chr(97 + $i % 26), 32768); flush(); }");
                release.file("r1", "slow.php", "<?php sleep(3); echo 'late';");
                release.file("r1", "bytes.php", "<?php echo bin2hex($_GET['q'] ?? '') . ' ' . bin2hex($_SERVER['HTTP_X_NAME'] ?? '')"
                        + " . ' ' . bin2hex($_SERVER['PATH_INFO'] ?? '') . ' ' . bin2hex($_SERVER['APP_GREETING'] ?? '');");
                release.file("r1", "complain.php", "<?php error_log('the cart table is missing'); echo 'still here';");
                release.file("r1", "style.css", "body { color: teal; }\n".repeat(100));
                release.file("r1", "uploads/photo.php.jpg", "<?php echo 'ran';");
                release.file("r1", ".env", "DB_PASSWORD=hunter2");
                release.activate("r1");
                TestRelease unix = new TestRelease(Path.of("target/test-releases"), "php-unix").clear();
                unix.file("r1", "index.php", "<?php echo 'over a unix socket: ' . $_SERVER['REQUEST_URI'];");
                unix.activate("r1");
                TestRelease down = new TestRelease(Path.of("target/test-releases"), "php-down").clear();
                down.file("r1", "index.php", "<?php echo 'never reached';");
                down.activate("r1");
                int closed;
                try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                    closed = free.getLocalPort();
                }
                Path sites = Path.of("target/fastcgi-sites.yaml").toAbsolutePath();
                Files.writeString(sites, """
                        default-site: %1$s
                        sites:
                          - name: %1$s
                            routes:
                              - path: /
                                fastcgi: {address: "127.0.0.1:%2$d", read-timeout: 1500ms, env: {APP_ENV: testing, APP_GREETING: "olá"}}
                          - name: php-down
                            hosts: [down.test]
                            routes:
                              - {path: /, fastcgi: {address: "127.0.0.1:%3$d"}}
                          - name: php-unix
                            hosts: [unix.test]
                            routes:
                              - {path: /, fastcgi: {address: "unix:%4$s"}}
                        """.formatted(SITE, fpm.port(), closed, unixFpm.socket()));
                // paths are decided once per check interval, as static files are checked (0 in the other tests)
                return Map.of("edgestack.proxy.sites-file", sites.toString(), "edgestack.proxy.trusted-proxies", "127.0.0.1,::1",
                        "edgestack.proxy.files.check-interval", "300ms");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void stop() {
            try {
                unixFpm.close();
                fpm.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static JsonPath echo(Response response) {
        return response.then().statusCode(200).contentType(containsString("application/json")).extract().jsonPath();
    }

    @Test
    void aScriptRunsWithTheParametersPhpExpects() throws Exception {
        Path release = Path.of("target/test-releases", SITE, "r1").toRealPath();
        JsonPath api = echo(given().header("Host", "shop.test:8443").header("X-Forwarded-Proto", "https")
                .header("Cookie", "a=1").header("Proxy", "http://evil.test:3128").header("X_User", "admin")
                .get("/api.php/users/7?sort=name"));
        assertEquals("/api.php", api.getString("script"));
        assertEquals(release + "/api.php", api.getString("filename"));
        assertEquals("/users/7", api.getString("path_info"));
        assertEquals("/api.php/users/7?sort=name", api.getString("uri"));
        assertEquals("sort=name", api.getString("query"));
        assertEquals("on", api.getString("https"), "the scheme a trusted proxy forwarded");
        assertEquals("127.0.0.1", api.getString("remote"));
        assertEquals("shop.test", api.getString("server_name"));
        assertEquals("8443", api.getString("server_port"));
        assertEquals("a=1", api.getString("cookie"));
        assertEquals("testing", api.getString("app_env"), "the route's env");
        assertNull(api.get("proxy"), "no HTTP_PROXY from a visitor's Proxy header (httpoxy)");
        assertNull(api.get("underscored"), "a header name with _ is dropped (it would pass for X-User)");
    }

    /**
     * What the visitor sent reaches the script byte for byte, as nginx passes it (a raw UTF-8 query from curl, a cookie
     * or header in UTF-8 or Latin-1), and text (paths, the route's env) as UTF-8: the parameters were all written as
     * UTF-8, so a visitor's {@code ?q=café} reached PHP as {@code cafÃ©}.
     */
    @Test
    void theScriptGetsTheVisitorsBytesAsTheyCame() {
        io.edgestack.proxy.http.RawHttp.Answer answer = io.edgestack.proxy.http.RawHttp.send(url.getPort(),
                "GET /bytes.php/caf%C3%A9?q=caf\u00c3\u00a9 HTTP/1.1\r\nHost: localhost\r\nX-Name: Ren\u00e9e\r\n"
                        + "Connection: close\r\n\r\n"); // sent as ISO-8859-1: the query's é as its two UTF-8 bytes
        assertEquals(200, answer.status(), answer.head());
        String expected = String.join(" ", "636166c3a9", "52656ee965", "2f636166c3a9", "6f6cc3a1");
        assertTrue(answer.body().contains("\r\n" + expected + "\r\n"), answer.body()); // its one chunk
    }

    @Test
    void everyOtherPathRunsTheFrontControllerAndFilesAreServedAsFiles() {
        JsonPath front = echo(given().get("/blog/2026/hello?draft=1"));
        assertEquals("/index.php", front.getString("script"));
        assertEquals("/blog/2026/hello?draft=1", front.getString("uri"));
        assertNull(front.get("path_info"));
        // a script that is not there is never sent as a file either
        assertEquals("/index.php", echo(given().get("/missing.php")).getString("script"));
        assertEquals("/index.php", echo(given().get("/.env")).getString("script"), "a dot file is neither served nor run");

        given().get("/style.css").then().statusCode(200).contentType(containsString("text/css"))
                .header("ETag", not(nullValue())).body(containsString("color: teal"));
        given().get("/uploads/photo.php.jpg").then().statusCode(200).contentType(containsString("image/jpeg"))
                .body(equalTo("<?php echo 'ran';"));
        given().get("/INDEX.PHP").then().statusCode(200).body(not(containsString("<?php")));

        given().redirects().follow(false).get("/shop?page=2").then().statusCode(308).header("Location", "/shop/?page=2");
        given().get("/shop/").then().statusCode(200).body(equalTo("the shop at /shop/index.php"));
    }

    @Test
    void theScriptsStatusHeadersAndBodiesGoBothWays() {
        given().get("/teapot.php").then().statusCode(418).header("X-App", "brewed").header("X-Powered-By", nullValue())
                .header("X-Content-Type-Options", "nosniff").body(equalTo("short and stout"));
        given().redirects().follow(false).get("/moved.php").then().statusCode(302).header("Location", "/elsewhere");
        byte[] big = given().get("/big.php").then().statusCode(200).extract().asByteArray();
        assertEquals(64 * 32768, big.length);
        assertEquals('a', big[0]);
        assertEquals('b', big[32768]);
        JsonPath form = echo(given().formParam("name", "Ada").formParam("role", "admin").post("/signup"));
        assertEquals("POST", form.getString("method"));
        assertEquals("Ada", form.getString("post.name"));
        byte[] upload = new byte[3 * 1024 * 1024];
        new java.util.Random(7).nextBytes(upload);
        JsonPath uploaded = echo(given().contentType("application/octet-stream").body(upload).put("/api.php/files/7"));
        assertEquals(upload.length, uploaded.getInt("length"));
        assertEquals(md5(upload), uploaded.getString("md5"));
        given().get("/complain.php").then().statusCode(200).body(equalTo("still here"));
        given().head("/teapot.php").then().statusCode(418).body(equalTo(""));
    }

    @Test
    void aFastCgiServerOnAUnixSocketAsDebiansOwnPool() {
        given().header("Host", "unix.test").get("/hello?x=1").then().statusCode(200)
                .body(equalTo("over a unix socket: /hello?x=1"));
    }

    @Test
    void aServerThatIsNotThereOrTooSlowIsABadOrLateGateway() {
        given().header("Host", "down.test").get("/").then().statusCode(502)
                .header("Proxy-Status", containsString("error=connection_refused"));
        given().get("/slow.php").then().statusCode(504).header("Proxy-Status", containsString("error=http_response_timeout"));
        // the FastCGI server is fine afterwards
        assertFalse(given().get("/teapot.php").then().statusCode(418).extract().asString().isEmpty());
    }

    private static String md5(byte[] bytes) {
        try {
            StringBuilder hex = new StringBuilder();
            for (byte b : java.security.MessageDigest.getInstance("MD5").digest(bytes)) {
                hex.append(String.format("%02x", b));
            }
            return hex.toString();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theStaticPathNeverSendsAScriptsSource() throws Exception {
        Path release = Path.of("target/test-releases", SITE, "r1");
        assertTrue(Files.exists(release.resolve("teapot.php")));
        for (String path : new String[] {"/teapot.php", "/teapot.PHP", "/teapot.php/", "/./teapot.php"}) {
            String body = given().get(path).then().extract().asString();
            assertFalse(body.contains("<?php"), path + " sent the script's source: " + body);
        }
    }

    @Test
    void aFileAddedOrAReleaseSwitchedIsSeenWithinTheCheckInterval() throws Exception {
        TestRelease release = new TestRelease(Path.of("target/test-releases"), SITE);
        assertEquals("/index.php", echo(given().get("/late.css")).getString("script"), "no such file yet: the front controller");
        release.file("r1", "late.css", "p { color: plum; }");
        long until = System.nanoTime() + 5_000_000_000L;
        String body;
        do {
            Thread.sleep(100);
            body = given().get("/late.css").then().statusCode(200).extract().asString();
        } while (!body.contains("plum") && System.nanoTime() < until);
        assertEquals("p { color: plum; }", body, "the new file is served once the path is decided again");

        release.file("r2", "index.php", "<?php echo 'release two';");
        release.file("r2", "late.css", "p { color: plum; }");
        release.activate("r2");
        try {
            until = System.nanoTime() + 5_000_000_000L;
            do {
                Thread.sleep(100);
                body = given().get("/blog/post").then().statusCode(200).extract().asString();
            } while (!body.equals("release two") && System.nanoTime() < until);
            assertEquals("release two", body, "the switched release's front controller runs");
        } finally {
            release.activate("r1");
            long back = System.nanoTime() + 5_000_000_000L; // the other tests ask r1's scripts
            while (given().get("/teapot.php").statusCode() != 418 && System.nanoTime() < back) {
                Thread.sleep(100);
            }
        }
    }

    @io.quarkus.test.common.http.TestHTTPResource("/")
    java.net.URL url;

    @Test
    void aVisitorThatAsksToContinueIsToldToSendItsBody() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", url.getPort())) {
            socket.setSoTimeout(10_000);
            var out = socket.getOutputStream();
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.ISO_8859_1));
            out.write(("PUT /api.php/notes HTTP/1.1\r\nHost: shop.test\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            out.flush();
            assertEquals("HTTP/1.1 100 Continue", in.readLine(), "before the body is sent");
            assertEquals("", in.readLine());
            out.write("hello".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            out.flush();
            assertEquals("HTTP/1.1 200 OK", in.readLine());
            String line;
            StringBuilder rest = new StringBuilder();
            while ((line = in.readLine()) != null && !line.contains("\"length\"")) {
                rest.append(line).append('\n');
            }
            assertTrue(line != null && line.contains("\"length\":5") && line.contains("\"method\":\"PUT\""), rest + String.valueOf(line));
        }
    }
}
