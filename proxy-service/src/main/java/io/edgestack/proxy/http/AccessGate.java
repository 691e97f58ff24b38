package io.edgestack.proxy.http;

import io.edgestack.cluster.HopByHop;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import jakarta.inject.Singleton;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.jboss.logging.Logger;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.edgestack.proxy.site.Access;
import io.edgestack.proxy.site.ForwardAuth;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.impl.headers.HeadersMultiMap;

/**
 * Applies a site's or route's {@link Access} to a request: a client address it does not admit gets {@code 403}; where
 * it asks for a password, a request without good credentials gets {@code 401} with {@code WWW-Authenticate: Basic}.
 * A bcrypt check takes tens of milliseconds of CPU: it runs on one of half the cores' threads (the request paused
 * meanwhile; past {@code edgestack.proxy.password-checks-waiting} checks waiting, {@code 503}), and a successful one is
 * remembered (a SHA-256 of the password with the hash it matched, for 10 minutes) so that the
 * requests after it are admitted on the event loop, as Caddy's {@code basic_auth} cache does. An unknown user is checked
 * against a known user's hash, so that the time taken does not tell which names exist. Passwords are never logged.
 */
@Singleton
public class AccessGate {

    private static final Logger LOG = Logger.getLogger(AccessGate.class);

    private final Cache<String, Boolean> verified = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterAccess(Duration.ofMinutes(10)).build();
    /** Half the cores check passwords at most, the event loops keep the rest. */
    private final io.vertx.core.WorkerExecutor checker;
    private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
    private final int maxWaiting;

    /** The client of forward-auth checks (pooled connections to the authentication services). */
    private final HttpClient auth;

    public AccessGate(Vertx vertx, io.edgestack.proxy.config.ProxyConfig config) {
        this.checker = vertx.createSharedWorkerExecutor("edgestack-password-checks",
                Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
        this.maxWaiting = config.passwordChecksWaiting();
        this.auth = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setVerifyHost(true), new PoolOptions().setHttp1MaxSize(64));
    }

    /**
     * Runs {@code next} when {@code access} admits the request (at once, or after a password check on a worker);
     * otherwise answers it.
     */
    public void admit(HttpServerRequest request, Access access, String client, String scheme, String host, Runnable next) {
        if (!access.admits(client)) {
            ErrorPages.send(request, 403, "Forbidden", "This address may not use this site.", null);
            return;
        }
        if (access.forwardAuth() != null) {
            forward(request, access.forwardAuth(), client, scheme, host, next);
            return;
        }
        if (!access.asksPassword()) {
            next.run();
            return;
        }
        String header = request.getHeader("Authorization");
        // several Authorization headers: which one would the app behind believe? None is taken.
        String[] credentials = header == null || request.headers().getAll("Authorization").size() > 1 ? null : credentials(header);
        if (credentials == null) {
            challenge(request, access, "This site asks for a user name and password.");
            return;
        }
        String user = credentials[0];
        String password = credentials[1];
        String hash = access.users().get(user);
        String key = hash == null ? null : key(hash, password);
        if (key != null && verified.getIfPresent(key) != null) {
            next.run();
            return;
        }
        String against = hash != null ? hash : access.users().values().iterator().next();
        if (waiting.incrementAndGet() > maxWaiting) {
            waiting.decrementAndGet();
            request.response().putHeader("Retry-After", "1");
            ErrorPages.send(request, 503, "Service Unavailable", "Too many password checks at once: try again in a moment.", null);
            return;
        }
        request.pause();
        checker.executeBlocking(() -> {
            waiting.decrementAndGet();
            return checks(against, password);
        }, false).onComplete(result -> {
            boolean good = hash != null && result.succeeded() && result.result();
            if (result.failed()) {
                // the name only when it is one of the site's users: any other is the client's text, not for the log
                LOG.warnf("Could not check the password of %s: %s", hash != null ? "user '" + user + "'" : "an unknown user",
                        result.cause().toString());
            }
            if (request.response().ended() || request.response().closed()) {
                return;
            }
            request.resume(); // the body, if any, is delivered on a later turn, once the next step has set its handlers
            if (good) {
                verified.put(key, Boolean.TRUE);
                next.run();
            } else {
                challenge(request, access, "The user name or password is wrong.");
            }
        });
    }

    /**
     * Asks the authentication service of {@code rule} about the request (its headers, not its body, which waits):
     * {@code 2xx} runs {@code next} with the headers the rule copies; any other answer goes to the visitor as it came.
     */
    private void forward(HttpServerRequest request, ForwardAuth rule, String client, String scheme, String host, Runnable next) {
        MultiMap headers = HeadersMultiMap.httpHeaders();
        headers.addAll(request.headers());
        HopByHop.strip(headers);
        headers.remove(HttpHeaders.CONTENT_LENGTH).remove(HttpHeaders.TRANSFER_ENCODING).remove(HttpHeaders.EXPECT)
                .remove(HttpHeaders.HOST).remove("TE").remove("Trailer").remove("Forwarded");
        String id = request.response().headers().get(HeaderNames.REQUEST_ID);
        if (id != null) {
            headers.set(HeaderNames.REQUEST_ID, id); // the service's log and the access log name the same request
        }
        headers.set("X-Forwarded-Method", request.method().name());
        headers.set("X-Forwarded-Proto", scheme);
        headers.set("X-Forwarded-Uri", request.uri());
        if (host != null) {
            headers.set("X-Forwarded-Host", host);
        }
        if (client != null) {
            headers.set("X-Forwarded-For", client);
        }
        long timeout = rule.timeout().toMillis();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(rule.url().getHost())
                .setPort(rule.port()).setSsl(rule.ssl()).setURI(rule.pathAndQuery()).setHeaders(headers)
                .setConnectTimeout(timeout).setIdleTimeout(timeout);
        request.pause();
        long started = System.nanoTime();
        auth.request(options).compose(HttpClientRequest::send).onComplete(result -> {
            if (request.response().ended() || request.response().closed()) {
                if (result.succeeded()) {
                    result.result().request().reset(); // nobody waits for its body
                }
                return;
            }
            request.resume();
            if (result.failed()) {
                boolean slow = result.cause() instanceof java.util.concurrent.TimeoutException
                        || System.nanoTime() - started >= java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeout);
                LOG.warnf("Forward auth %s %s: %s", rule.url(), slow ? "did not answer in time" : "failed",
                        result.cause().toString());
                ErrorPages.send(request, slow ? 504 : 502, slow ? "Gateway Timeout" : "Bad Gateway",
                        "The authentication service " + (slow ? "did not answer in time." : "could not be reached."), null);
                return;
            }
            HttpClientResponse answer = result.result();
            if (answer.statusCode() >= 200 && answer.statusCode() < 300) {
                for (String name : rule.copyHeaders()) {
                    request.headers().remove(name); // only the service says who the visitor is
                    List<String> values = answer.headers().getAll(name);
                    if (!values.isEmpty()) {
                        request.headers().add(name, values);
                    }
                }
                answer.end(); // a body, if any, is read and dropped: the connection stays usable
                next.run();
                return;
            }
            // the service's answer goes to the visitor as it came (its login redirect, cookies, page), streamed: a
            // large page is never held in memory
            HttpServerResponse response = request.response().setStatusCode(answer.statusCode());
            MultiMap out = HeadersMultiMap.httpHeaders();
            out.addAll(answer.headers());
            HopByHop.strip(out);
            String length = out.get(HttpHeaders.CONTENT_LENGTH);
            out.remove(HttpHeaders.TRANSFER_ENCODING).remove(HeaderNames.REQUEST_ID).remove(HeaderNames.SERVER);
            response.headers().addAll(out);
            if (length == null && request.version() != io.vertx.core.http.HttpVersion.HTTP_1_0) {
                response.setChunked(true);
            }
            answer.pipeTo(response).onFailure(error -> {
                LOG.debugf("Forward auth %s: its answer was cut short: %s", rule.url(), error);
                response.reset();
            });
        });
    }


    private static boolean checks(String hash, String password) {
        try {
            return OpenBSDBCrypt.checkPassword(hash, password.toCharArray());
        } catch (IllegalArgumentException e) { // a password over bcrypt's 72 bytes, or a hash of another kind
            return false;
        }
    }

    private static void challenge(HttpServerRequest request, Access access, String detail) {
        request.response().putHeader("WWW-Authenticate", "Basic realm=\"" + access.realm() + "\", charset=\"UTF-8\"");
        ErrorPages.send(request, 401, "Unauthorized", detail, null);
    }

    /** The user and password of a {@code Basic} Authorization header, or null when there are none (or malformed). */
    static String[] credentials(String header) {
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon <= 0 ? null : new String[] { decoded.substring(0, colon), decoded.substring(colon + 1) };
    }

    private static String key(String hash, String password) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(hash.getBytes(StandardCharsets.US_ASCII));
            digest.update((byte) 0);
            return hash + HexFormat.of().formatHex(digest.digest(password.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
