package io.edgestack.proxy.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SitesLoaderTest {

    private static List<String> lines(io.netty.util.AsciiString[][] headers) {
        return java.util.Arrays.stream(headers).map(h -> h[0] + ": " + h[1]).toList();
    }

    private static String problem(String yaml) {
        return assertThrows(SiteConfigException.class, () -> SitesLoader.parse(yaml, "example")).getMessage();
    }

    @Test
    void h2cTargetsAreAPoolsOwnProtocol() {
        Site site = SitesLoader.parse("""
                sites:
                  - name: a
                    routes:
                      - {path: /grpc/, upstream: {targets: ["h2c://127.0.0.1:50051", "h2c://127.0.0.1:50052"]}}
                      - {path: /, upstream: {targets: ["http://127.0.0.1:3000"]}}
                """, "a").forHost("x");
        assertTrue(site.route("/grpc/pkg.Echo/Say").upstream().h2c());
        assertFalse(site.route("/page").upstream().h2c());
        assertEquals("sites[0].routes[0].upstream.targets[1]: 'http://127.0.0.1:3001' must be an h2c:// URL, as the pool's "
                + "first target is: a pool speaks HTTP/2 in clear text (h2c://) to all its servers or to none",
                problem("sites: [{name: a, routes: [{path: /, upstream: {targets: ['h2c://127.0.0.1:3000', 'http://127.0.0.1:3001']}}]}]"));
        assertEquals("sites[0].routes[0].upstream.targets[0]: 'h2://127.0.0.1:3000' must be an http://, https:// or h2c:// "
                + "(HTTP/2 in clear text, as gRPC servers speak) URL with a host",
                problem("sites: [{name: a, routes: [{path: /, upstream: {targets: ['h2://127.0.0.1:3000']}}]}]"));
        assertEquals("orders", SitesLoader.parse("sites: [{name: a, routes: [{path: /, upstream: {targets: ['h2c://g:1'],"
                + " health: {grpc-service: orders}}}]}]", "a").forHost("x").route("/").upstream().health().grpcService());
        assertEquals("sites[0].routes[0].upstream.health.grpc-service: asks the gRPC health service, which only an h2c:// "
                + "pool's servers speak", problem("sites: [{name: a, routes: [{path: /, upstream: {targets: ['http://g:1'],"
                + " health: {grpc-service: ''}}}]}]"));
        assertEquals("sites[0].routes[0].upstream.health.path: not with grpc-service (the gRPC health service has its own "
                + "path, and answers SERVING or not)", problem("sites: [{name: a, routes: [{path: /, upstream: {targets:"
                + " ['h2c://g:1'], health: {grpc-service: '', path: /healthz}}}]}]"));
    }

    @Test
    void readsSitesHostsRoutesAndHeaders() {
        Sites sites = SitesLoader.parse("""
                default-site: blog
                sites:
                  - name: blog
                    hosts: [blog.example.com, WWW.Example.com]
                    routes:
                      - path: /
                        static: {}
                      - path: /docs/
                        static: {}
                    headers:
                      content-security-policy: "default-src 'self'"
                      frame-options: null
                      extra: {X-Robots-Tag: noindex}
                  - name: shop
                    hosts: [shop.example.com]
                """, "example");

        assertEquals("shop", sites.forHost("shop.example.com:8080").name());
        assertEquals("blog", sites.forHost("www.example.com").name());
        assertEquals("blog", sites.forHost("unknown.test").name(), "unknown hosts get the default site");
        Site blog = sites.forHost("blog.example.com");
        assertEquals("/docs/", blog.route("/docs/intro").pathPrefix());
        assertEquals("/docs/", blog.route("/docs").pathPrefix());
        assertEquals("/", blog.route("/other").pathPrefix());
        assertEquals("default-src 'self'", blog.headers().contentSecurityPolicy());
        assertNull(blog.headers().frameOptions(), "null turns a header off");
        assertEquals("noindex", blog.headers().extra().get("X-Robots-Tag"));
        // the headers a response gets, in order: off ones left out, HSTS only over TLS, extras last
        assertEquals(List.of("X-Content-Type-Options: nosniff", "Referrer-Policy: strict-origin-when-cross-origin",
                "Permissions-Policy: camera=(), microphone=(), geolocation=(), interest-cohort=()",
                "Content-Security-Policy: default-src 'self'", "X-Robots-Tag: noindex"), lines(blog.headers().headers(false)));
        assertEquals("Strict-Transport-Security: max-age=31536000; includeSubDomains",
                lines(blog.headers().headers(true)).get(4));
        assertEquals(blog.headers(), SitesLoader.parse("""
                sites:
                  - name: blog
                    headers: {content-security-policy: "default-src 'self'", frame-options: null, extra: {X-Robots-Tag: noindex}}
                """, "blog").forHost("any").headers(), "the same configuration, the same policy");
        assertEquals("public, max-age=31536000, immutable", blog.cacheControlFor("/assets/app.3f9a2c1b.js"));
        assertEquals("public, max-age=0, must-revalidate", blog.cacheControlFor("/blog/post/"));
    }

    @Test
    void namesTheKeyAndTheProblemOfAnInvalidFile() {
        assertEquals("sites[0].routes[0].path: 'api' must start with '/'", problem("""
                sites:
                  - name: a
                    routes: [{path: api, static: {}}]
                """));
        assertEquals("sites[0].routs: unknown key (expected one of access, cache, edge-cache, headers, hosts, name, rate-limit, redirects, rewrite-origins, routes)", problem("""
                sites:
                  - name: a
                    routs: []
                """));
        assertEquals("sites[1].hosts: 'a.test' is already served by site 'a'", problem("""
                sites:
                  - {name: a, hosts: [a.test]}
                  - {name: b, hosts: [A.test]}
                """));
        assertEquals("sites[0].hosts[0]: 'bad host' is not a host name", problem("""
                sites:
                  - {name: a, hosts: [bad host]}
                """));
        assertEquals("default-site: no site is named 'example'", problem("""
                sites:
                  - {name: a}
                """));
        assertEquals("sites[0].cache[0].path: '([' is not a regular expression: Unclosed character class", problem("""
                default-site: a
                sites:
                  - {name: a, cache: [{path: "([", cache-control: no-cache}]}
                """));
        assertEquals("sites[0].name: is required", problem("""
                sites:
                  - {hosts: [a.test]}
                """));
        assertEquals("sites: must be a non-empty list of sites", problem("sites: []"));
        assertEquals("sites[0].edge-cache.bypass-cookie: unknown key (expected one of bypass-cookies, default-ttl, enabled,"
                + " ignore-query, stale-when-down, store-set-cookie)", problem("""
                sites:
                  - name: a
                    edge-cache: {bypass-cookie: [session]}
                """));
        assertEquals(true, problem("""
                sites:
                  - name: a
                    edge-cache: {stale-when-down: soon}
                """).startsWith("sites[0].edge-cache.stale-when-down: "));
        assertEquals("sites[0].routes[0].upstream.timeouts.first-byte: (90000 ms) must not exceed timeouts.idle (60000 ms):"
                + " an upstream connection that stays silent for the idle timeout is closed", problem("""
                sites:
                  - name: a
                    routes: [{path: /, upstream: {targets: [http://127.0.0.1:1], timeouts: {first-byte: 90s}}}]
                """));
    }

    @Test
    void readsRedirectsAndNamesWhatIsWrongWithOne() {
        Site site = SitesLoader.parse("""
                sites:
                  - name: a
                    redirects:
                      - {from: /old, to: /new}
                      - {from: /blog/*, to: "https://blog.example.test/:splat", status: 308}
                """, "a").forHost("any");
        assertEquals(2, site.redirects().rules().size());
        assertEquals(new Redirects.Target("https://blog.example.test/2024/post?x=1", 308), site.redirects().target("/blog/2024/post", "x=1"));
        assertEquals("sites[0].redirects[0].from: 'old' is not a path (with :placeholders, and * at its end)", problem("""
                sites:
                  - {name: a, redirects: [{from: old, to: /new}]}
                """));
        assertEquals("sites[0].redirects[0].to: 'ftp://x' is not a path or an http(s):// URL", problem("""
                sites:
                  - {name: a, redirects: [{from: /old, to: "ftp://x"}]}
                """));
        assertEquals("sites[0].rewrite-origins[1]: 'https://api.example.test/v1' is not an origin: http(s)://host[:port], no path",
                problem("""
                sites:
                  - {name: a, rewrite-origins: ["http://127.0.0.1:3000", "https://api.example.test/v1"]}
                """));
        assertEquals("sites[0].rewrite-origins[0]: 'file:///etc' is not an origin: http(s)://host[:port], no path", problem("""
                sites:
                  - {name: a, rewrite-origins: ["file:///etc"]}
                """));
        assertEquals("sites[0].redirects[0].status: 200 is not one of 301, 302, 303, 307, 308", problem("""
                sites:
                  - {name: a, redirects: [{from: /old, to: /new, status: 200}]}
                """));
        assertEquals("sites[0].redirects[0].status: 'soon' is not one of 301, 302, 303, 307, 308", problem("""
                sites:
                  - {name: a, redirects: [{from: /old, to: /new, status: soon}]}
                """));
        assertEquals("sites[0].redirects[0].form: unknown key (expected one of from, status, to)", problem("""
                sites:
                  - {name: a, redirects: [{form: /old, to: /new}]}
                """));
        assertEquals("sites[0].redirects[0].from: '/a*/b' is not a path (with :placeholders, and * at its end)", problem("""
                sites:
                  - {name: a, redirects: [{from: "/a*/b", to: /new}]}
                """));
    }

    @Test
    void reportsYamlSyntaxErrorsWithTheLine() {
        String message = problem("sites:\n  - name: a\n   bad: [\n");
        assertEquals(true, message.startsWith("sites file: not valid YAML"), message);
    }

    @Test
    void readsAccessRulesAndNamesWhatIsWrongWithOne() {
        String hash = "$2y$10$" + "a".repeat(53);
        Sites sites = SitesLoader.parse("""
                sites:
                  - name: a
                    access:
                      allow: [10.0.0.0/8]
                      basic-auth: {users: {ada: "%s"}}
                    routes:
                      - {path: /, static: {}}
                      - {path: /open/, static: {}, access: {}}
                      - {path: /lan/, static: {}, access: {deny: ["::1"]}}
                """.formatted(hash), "a");
        Site site = sites.forHost("any");
        Access closed = site.accessOn(site.route("/"));
        assertEquals("restricted", closed.realm());
        assertEquals(java.util.Map.of("ada", hash), closed.users());
        assertTrue(closed.admits("10.9.8.7") && !closed.admits("192.0.2.1") && !closed.admits(null));
        assertNull(site.accessOn(site.route("/open/x")), "{} opens a route");
        Access lan = site.accessOn(site.route("/lan/x"));
        assertTrue(!lan.asksPassword() && lan.admits("192.0.2.1") && !lan.admits("::1"), "a route's own replaces the site's");
        assertNull(SitesLoader.parse("sites: [{name: a}]", "a").forHost("x").accessOn(null), "no access: open");

        assertEquals("sites[0].access.allow[1]: '10.0.0.0/33' is not an IP address or CIDR block", problem("""
                sites: [{name: a, access: {allow: [10.0.0.0/8, 10.0.0.0/33]}}]
                """));
        assertEquals("sites[0].access.deny[0]: 'office.example.com' is not an IP address or CIDR block", problem("""
                sites: [{name: a, access: {deny: [office.example.com]}}]
                """));
        String wrote = problem("""
                sites: [{name: a, access: {basic-auth: {users: {ada: "hunter2"}}}}]
                """);
        assertEquals("sites[0].access.basic-auth.users.ada: not a bcrypt hash ($2a$, $2b$ or $2y$, as htpasswd -nbB or caddy "
                + "hash-password print it): write the hash, never the password", wrote);
        assertTrue(!wrote.contains("hunter2"), "a password written by mistake is not repeated");
        assertTrue(problem("sites: [{name: a, access: {basic-auth: {users: {}}}}]")
                .startsWith("sites[0].access.basic-auth.users: must map at least one user name to a bcrypt hash"));
        assertEquals("sites[0].access.basic-auth.realm: 'say \"hi\"' must be printable, without quotes or backslashes",
                problem("sites: [{name: a, access: {basic-auth: {realm: 'say \"hi\"', users: {ada: \"" + hash + "\"}}}}]"));
        assertEquals("sites[0].routes[0].access.password: unknown key", problem("""
                sites: [{name: a, routes: [{path: /, static: {}, access: {password: x}}]}]
                """).replaceAll(" \\(.*", ""));
    }

    @Test
    void readsForwardAuthAndNamesWhatIsWrongWithIt() {
        Site site = SitesLoader.parse("""
                sites:
                  - name: a
                    access: {forward-auth: {url: "https://auth.example:9091/api/verify?rd=x", copy-headers: [Remote-User]}}
                """, "a").forHost("x");
        ForwardAuth rule = site.access().forwardAuth();
        assertEquals("auth.example", rule.url().getHost());
        assertEquals(9091, rule.port());
        assertTrue(rule.ssl());
        assertEquals("/api/verify?rd=x", rule.pathAndQuery());
        assertEquals(List.of("Remote-User"), rule.copyHeaders());
        assertEquals(java.time.Duration.ofSeconds(5), rule.timeout());
        assertFalse(site.access().isOpen());
        assertEquals("sites[0].access.forward-auth.url: is required: the authentication service's http:// or https:// URL",
                problem("sites: [{name: a, access: {forward-auth: {copy-headers: [Remote-User]}}}]"));
        assertEquals("sites[0].access.forward-auth.url: 'ftp://auth/x' must be an http:// or https:// URL with a host "
                + "(no user or fragment)", problem("sites: [{name: a, access: {forward-auth: {url: 'ftp://auth/x'}}}]"));
        assertEquals("sites[0].access.forward-auth.copy-headers[0]: 'Remote User' is not a header name",
                problem("sites: [{name: a, access: {forward-auth: {url: 'http://auth/', copy-headers: [Remote User]}}}]"));
        assertEquals("sites[0].access.forward-auth.timeout: must be from 1ms to 1m",
                problem("sites: [{name: a, access: {forward-auth: {url: 'http://auth/', timeout: 2m}}}]"));
        assertTrue(problem("sites: [{name: a, access: {forward-auth: {url: 'http://auth/', basic-auth: {}}}}]")
                .startsWith("sites[0].access.forward-auth.basic-auth: unknown key (expected one of copy-headers, timeout, url)"));
        assertEquals("sites[0].access.forward-auth: and basic-auth go on different routes: keep one here",
                problem("sites: [{name: a, access: {forward-auth: {url: 'http://auth/'}, basic-auth: {users: {}}}}]"));
    }

    @Test
    void readsRateLimitsAndNamesWhatIsWrongWithOne() {
        Site site = SitesLoader.parse("""
                sites:
                  - name: a
                    rate-limit: {requests: 10, per: 1m, burst: 5}
                    routes:
                      - {path: /, static: {}}
                      - {path: /free/, static: {}, rate-limit: {}}
                      - {path: /login, static: {}, rate-limit: {requests: 5, per: 1h}}
                """, "a").forHost("x");
        assertEquals("10 per PT1M, burst 5", site.rateLimitOn(site.route("/")).toString());
        assertNull(site.rateLimitOn(site.route("/free/x")));
        assertEquals("5 per PT1H, burst 5", site.rateLimitOn(site.route("/login")).toString(), "the burst is the rate's");
        assertNull(SitesLoader.parse("sites: [{name: a}]", "a").forHost("x").rateLimitOn(null));
        assertEquals("sites[0].rate-limit.requests: is required: how many requests a client may make per 'per'",
                problem("sites: [{name: a, rate-limit: {per: 1m}}]"));
        assertEquals("sites[0].rate-limit.requests: must be a whole number from 1 to 1000000",
                problem("sites: [{name: a, rate-limit: {requests: 0}}]"));
        assertEquals("sites[0].routes[0].rate-limit.per: must be from 1ms to 24h",
                problem("sites: [{name: a, routes: [{path: /, static: {}, rate-limit: {requests: 1, per: 0s}}]}]"));
        assertTrue(problem("sites: [{name: a, rate-limit: {requests: 1, per: soon}}]").startsWith("sites[0].rate-limit.per: "));
    }

    @Test
    void readsAnUpstreamsHeaderRulesAndNamesWhatIsWrongWithOne() {
        Site site = SitesLoader.parse("""
                sites:
                  - name: a
                    routes:
                      - path: /
                        upstream:
                          targets: [https://app.example.test]
                          host-header: upstream
                          request-headers: {X-Env: prod, Cookie: null}
                          response-headers: {X-Powered-By: null}
                """, "a").forHost("x");
        var rules = site.route("/").upstream().headers();
        assertEquals("upstream", rules.host());
        assertEquals(java.util.Map.of("X-Env", "prod"), rules.requestSet());
        assertEquals(List.of("Cookie"), rules.requestRemove());
        assertEquals(List.of("X-Powered-By"), rules.responseRemove());
        String upstream = "sites: [{name: a, routes: [{path: /, upstream: {targets: [http://127.0.0.1:1], %s}}]}]";
        assertEquals("sites[0].routes[0].upstream.host-header: 'my host' is not 'upstream' (the chosen server's name), "
                + "'visitor' (the visitor's Host) or a host name (with an optional :port)", problem(upstream.formatted("host-header: my host")));
        assertEquals("sites[0].routes[0].upstream.request-headers.Content-Length: frames the message or belongs to the "
                + "connection: the proxy sets it", problem(upstream.formatted("request-headers: {Content-Length: 5}")));
        assertTrue(problem(upstream.formatted("request-headers: {Host: x}")).endsWith("(host-header chooses the Host the upstream is asked for)"));
        assertEquals("sites[0].routes[0].upstream.response-headers.bad name: is not a header name",
                problem(upstream.formatted("response-headers: {bad name: x}")));
    }

    @Test
    void readsARouteThatAnswersByItselfAndNamesWhatIsWrongWithIt() {
        Site site = SitesLoader.parse("sites: [{name: a, routes: [{path: /healthz, respond: {body: ok}}]}]", "a").forHost("x");
        Respond respond = site.route("/healthz").respond();
        assertEquals(200, respond.status());
        assertEquals("ok", respond.body().toString());
        assertEquals("text/plain; charset=utf-8", respond.contentType());
        String route = "sites: [{name: a, routes: [{path: /, %s}]}]";
        assertEquals("sites[0].routes[0]: needs exactly one handler: 'static: {}' serves the site's live release, 'upstream: "
                + "{targets: [...]}' proxies to servers, 'respond: {status: 200, body: ok}' answers by itself, 'fastcgi: "
                + "{address: 127.0.0.1:9000}' runs the release's PHP", problem(route.formatted("static: {}, respond: {body: x}")));
        assertEquals("sites[0].routes[0].respond.status: must be a whole number from 200 to 599",
                problem(route.formatted("respond: {status: 99}")));
        assertTrue(problem(route.formatted("respond: {body: '" + "x".repeat(70_000) + "'}"))
                .startsWith("sites[0].routes[0].respond.body: 70000 bytes: at most 65536"));
        assertEquals("sites[0].routes[0].respond.headers.Content-Length: is not a header this answer may set (content-type has"
                + " a key of its own)", problem(route.formatted("respond: {headers: {Content-Length: 3}}")));
    }

    @Test
    void readsAFastCgiRouteAndNamesWhatIsWrongWithIt() {
        Site site = SitesLoader.parse("sites: [{name: a, routes: [{path: /, fastcgi: {address: 'unix:/run/php/php8.2-fpm.sock', "
                + "root: /var/www/a/, env: {APP_ENV: production}}}]}]", "a").forHost("x");
        FastCgi fastcgi = site.route("/index.php").fastcgi();
        assertEquals(Route.Kind.FASTCGI, site.route("/").kind());
        assertEquals("/run/php/php8.2-fpm.sock", fastcgi.server().path());
        assertEquals("/var/www/a", fastcgi.root());
        assertEquals("index.php", fastcgi.index());
        assertEquals(".php", fastcgi.split());
        assertEquals(java.time.Duration.ofSeconds(60), fastcgi.readTimeout());
        assertEquals(Map.of("APP_ENV", "production"), fastcgi.env());
        FastCgi tcp = SitesLoader.parse("sites: [{name: a, routes: [{path: /, fastcgi: {address: '127.0.0.1:9000', "
                + "read-timeout: 5m}}]}]", "a").forHost("x").route("/").fastcgi();
        assertEquals(9000, tcp.server().port());
        assertEquals(java.time.Duration.ofMinutes(5), tcp.readTimeout());
        String route = "sites: [{name: a, routes: [{path: /, fastcgi: %s}]}]";
        assertEquals("sites[0].routes[0].fastcgi.address: 'php:fpm' is not host:port or unix:/path/to/socket",
                problem(route.formatted("{address: 'php:fpm'}")));
        assertEquals("sites[0].routes[0].fastcgi.address: is required", problem(route.formatted("{root: /var/www}")));
        assertEquals("sites[0].routes[0].fastcgi.root: 'www' must be an absolute path (where the FastCGI server sees this "
                + "site's releases folder)", problem(route.formatted("{address: '127.0.0.1:9000', root: www}")));
        assertEquals("sites[0].routes[0].fastcgi.index: 'app.py' must end with the split, .php",
                problem(route.formatted("{address: '127.0.0.1:9000', index: app.py}")));
        assertEquals("sites[0].routes[0].fastcgi.env.APP-ENV: is not a parameter name (letters, digits, _)",
                problem(route.formatted("{address: '127.0.0.1:9000', env: {APP-ENV: x}}")));
        assertTrue(problem(route.formatted("{address: '127.0.0.1:9000', keep-alive: true}"))
                .startsWith("sites[0].routes[0].fastcgi.keep-alive: unknown key"));
    }
}
