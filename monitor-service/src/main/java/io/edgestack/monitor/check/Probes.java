package io.edgestack.monitor.check;

import java.net.ConnectException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLException;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;

/**
 * Runs checks, non-blocking, on Vert.x clients: HTTP(S) with status, keyword, JSON and latency conditions; TCP connect;
 * TLS certificate expiry. Each failure gets a cause a person reads at a glance and a one-line summary of what came back.
 */
@ApplicationScoped
public class Probes {

    private static final int MAX_BODY = 1024 * 1024;

    private final Vertx vertx;
    private final HttpClient http;
    private final NetClient tcp;
    private final NetClient tls;

    public Probes(Vertx vertx) {
        this.vertx = vertx;
        this.http = vertx.createHttpClient(new HttpClientOptions().setMaxPoolSize(64).setKeepAlive(false)
                .setMaxRedirects(10).setVerifyHost(true));
        this.tcp = vertx.createNetClient(new NetClientOptions());
        this.tls = vertx.createNetClient(new NetClientOptions().setSsl(true).setTrustAll(true).setHostnameVerificationAlgorithm(""));
    }

    @PreDestroy
    void close() {
        http.close();
        tcp.close();
        tls.close();
    }

    /** One run of an HTTP, TCP or TLS check (push checks are judged by {@code PushTracker}). */
    public Future<CheckResult> run(CheckSpec spec) {
        return switch (spec.type()) {
            case "http" -> http(spec);
            case "tcp" -> tcp(spec);
            case "tls" -> tls(spec);
            default -> Future.failedFuture(new IllegalArgumentException("not a probe: " + spec.type()));
        };
    }

    private Future<CheckResult> http(CheckSpec spec) {
        long start = System.nanoTime();
        RequestOptions options = new RequestOptions().setAbsoluteURI(spec.url().toString())
                .setMethod(HttpMethod.valueOf(spec.method())).setFollowRedirects(spec.followRedirects())
                .setTimeout(spec.timeout().toMillis()).setConnectTimeout(spec.timeout().toMillis())
                .putHeader("User-Agent", "edgestack-monitor/1");
        spec.headers().forEach(options::putHeader);
        return http.request(options).compose(request -> request.send()).compose(response -> body(response)
                .map(body -> judge(spec, response, body, millis(start))))
                .recover(error -> Future.succeededFuture(failure(spec, error, millis(start))));
    }

    private static Future<Buffer> body(HttpClientResponse response) {
        return response.body().map(body -> body.length() > MAX_BODY ? body.slice(0, MAX_BODY) : body);
    }

    private static CheckResult judge(CheckSpec spec, HttpClientResponse response, Buffer body, long latency) {
        int status = response.statusCode();
        String text = body.toString();
        String line = "HTTP " + status + " in " + latency + " ms";
        String cacheStatus = response.getHeader("Cache-Status");
        String layer = Layers.failed(status, response.getHeader("Proxy-Status"), cacheStatus);
        CheckResult verdict = verdict(spec, status, text, line, latency);
        if (!verdict.ok()) {
            return verdict.withLayer(layer);
        }
        String stale = spec.alertOnStale() ? Layers.staleBecauseOriginFailed(cacheStatus) : null;
        if (stale != null) {
            return CheckResult.stale(spec.name(), latency, status, line + ", but the cache's stale copy: the origin failed ("
                    + stale + ")");
        }
        return verdict;
    }

    private static CheckResult verdict(CheckSpec spec, int status, String text, String line, long latency) {
        if (!spec.accepts(status)) {
            return CheckResult.down(spec.name(), "status", latency, status, line + " (expected " + expected(spec) + "): "
                    + snippet(text), null);
        }
        if (spec.keyword() != null && !text.contains(spec.keyword())) {
            return CheckResult.down(spec.name(), "keyword", latency, status, line + ": '" + spec.keyword()
                    + "' not found in the body: " + snippet(text), null);
        }
        if (spec.keywordAbsent() != null && text.contains(spec.keywordAbsent())) {
            return CheckResult.down(spec.name(), "keyword", latency, status, line + ": '" + spec.keywordAbsent()
                    + "' found in the body", null);
        }
        if (spec.jsonPath() != null) {
            String why = JsonCondition.failure(spec.jsonPath(), text);
            if (why != null) {
                return CheckResult.down(spec.name(), "json", latency, status, line + ": " + why, null);
            }
        }
        if (spec.maxLatency() != null && latency > spec.maxLatency().toMillis()) {
            return CheckResult.down(spec.name(), "latency", latency, status, line + ", over the limit of "
                    + spec.maxLatency().toMillis() + " ms", null);
        }
        return CheckResult.up(spec.name(), latency, status, line, null);
    }

    private Future<CheckResult> tcp(CheckSpec spec) {
        long start = System.nanoTime();
        return withTimeout(tcp.connect(SocketAddress.inetSocketAddress(spec.port(), spec.host())), spec.timeout())
                .map(socket -> {
                    socket.close();
                    long latency = millis(start);
                    return CheckResult.up(spec.name(), latency, 0, "connected in " + latency + " ms", null);
                }).recover(error -> Future.succeededFuture(failure(spec, error, millis(start))));
    }

    private Future<CheckResult> tls(CheckSpec spec) {
        long start = System.nanoTime();
        return withTimeout(tls.connect(SocketAddress.inetSocketAddress(spec.port(), spec.host()), spec.host()), spec.timeout())
                .map(socket -> {
                    long latency = millis(start);
                    try {
                        List<Certificate> chain = socket.peerCertificates();
                        X509Certificate leaf = (X509Certificate) chain.get(0);
                        Instant notAfter = leaf.getNotAfter().toInstant();
                        long days = Duration.between(Instant.now(), notAfter).toDays();
                        String subject = leaf.getSubjectX500Principal().getName();
                        if (notAfter.isBefore(Instant.now())) {
                            return CheckResult.down(spec.name(), "tls", latency, 0, "certificate " + subject + " expired on "
                                    + notAfter, days);
                        }
                        if (days < spec.tlsDays()) {
                            return CheckResult.down(spec.name(), "tls", latency, 0, "certificate " + subject + " expires in "
                                    + days + " day(s), on " + notAfter + " (threshold " + spec.tlsDays() + ")", days);
                        }
                        return CheckResult.up(spec.name(), latency, 0, "certificate valid for " + days + " more day(s)", days);
                    } catch (Exception e) {
                        return CheckResult.down(spec.name(), "tls", latency, 0, "no peer certificate: " + e.getMessage(), null);
                    } finally {
                        socket.close();
                    }
                }).recover(error -> Future.succeededFuture(failure(spec, error, millis(start))));
    }

    private <T> Future<T> withTimeout(Future<T> future, Duration timeout) {
        io.vertx.core.Promise<T> promise = io.vertx.core.Promise.promise();
        long timer = vertx.setTimer(timeout.toMillis(), id -> promise.tryFail(new TimeoutException(
                "no connection within " + timeout.toMillis() + " ms")));
        future.onComplete(result -> {
            vertx.cancelTimer(timer);
            if (result.failed()) {
                promise.tryFail(result.cause());
            } else if (!promise.tryComplete(result.result()) && result.result() instanceof io.vertx.core.net.NetSocket late) {
                late.close();
            }
        });
        return promise.future();
    }

    /** Classifies a failure to get an answer: timeout, refused, tls or error. */
    static CheckResult failure(CheckSpec spec, Throwable error, long latency) {
        String message = String.valueOf(error.getMessage());
        String lower = message.toLowerCase();
        String cause;
        if (error instanceof TimeoutException || error instanceof io.netty.channel.ConnectTimeoutException
                || lower.contains("timeout") || lower.contains("timed out")) {
            cause = "timeout";
        } else if (error instanceof ConnectException || lower.contains("connection refused")) {
            cause = "refused";
        } else if (error instanceof SSLException || error.getCause() instanceof SSLException || lower.contains("ssl")
                || lower.contains("certificate")) {
            cause = "tls";
        } else {
            cause = "error";
        }
        // Nothing answered (refused, timed out, closed, TLS handshake failed): the layer the check enters the suite
        // by is the one that failed (when the check says which).
        return CheckResult.down(spec.name(), cause, latency, 0, spec.target() + ": " + message, null)
                .withLayer(spec.entryLayer());
    }

    private static String expected(CheckSpec spec) {
        StringBuilder out = new StringBuilder();
        for (int[] range : spec.expectedStatus()) {
            out.append(out.length() == 0 ? "" : ",").append(range[0] == range[1] ? "" + range[0] : range[0] + "-" + range[1]);
        }
        return out.toString();
    }

    private static String snippet(String body) {
        String flat = body.replaceAll("\\s+", " ").trim();
        return flat.isEmpty() ? "(empty body)" : flat.length() <= 160 ? flat : flat.substring(0, 159) + "…";
    }

    private static long millis(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
