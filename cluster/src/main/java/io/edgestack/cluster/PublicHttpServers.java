package io.edgestack.cluster;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.tls.TlsConfigurationRegistry;
import io.quarkus.value.registry.ValueRegistry;
import io.quarkus.vertx.http.HttpServer;
import io.quarkus.vertx.http.runtime.VertxHttpBuildTimeConfig;
import io.quarkus.vertx.http.runtime.VertxHttpConfig;
import io.quarkus.vertx.http.runtime.VertxHttpConfig.InsecureRequests;
import io.quarkus.vertx.http.runtime.options.HttpServerOptionsUtils;
import io.quarkus.vertx.http.runtime.options.HttpServerTlsConfig;
import io.quarkus.vertx.http.runtime.options.TlsCertificateReloader;
import io.smallrye.config.SmallRyeConfig;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.impl.VertxInternal;

/**
 * A service's public port on Vert.x HTTP servers of its own, one per event loop, in place of Quarkus' public server
 * (which the service turns off with {@code quarkus.http.host-enabled=false}). Quarkus' server offers no hook on a
 * connection before its first request head is in, so it can neither time a visitor's request head
 * ({@link RequestHeadTimeout}) nor answer a request line of an unknown version itself ({@link UnsupportedVersions});
 * proxy-service also saves the CPU of Quarkus' layer in front of a route. Both services' ports keep Quarkus' keys:
 * the servers are configured from {@code quarkus.http.*} through Quarkus' own option builders (port and host, the test
 * port, TLS from PEM or key store or the TLS registry with reload on change, HTTP/2 and h2c, header and line limits, the
 * idle timeout, compression with zstd, over HTTP/2 through {@link Http2ContentCoding}, {@code
 * quarkus.http.insecure-requests}), and the bound ports are registered where Quarkus registers its own (tests find them
 * as {@code @TestHTTPResource}).
 *
 * <p>Each request goes to the service's handler, which tells {@link #enter} and {@link #leave} when an answer starts and
 * is over. On shutdown ({@link #stop}) new requests get {@code 503} with {@code Connection: close} and those in flight
 * may finish within {@code quarkus.shutdown.timeout}.
 */
public final class PublicHttpServers {

    private static final Logger LOG = Logger.getLogger(PublicHttpServers.class);
    /** Vert.x shares a random port among the servers that listen on the same negative port (as Quarkus does). */
    private static final int RANDOM_HTTP = -1;
    private static final int RANDOM_HTTPS = -2;

    private final Vertx vertx;
    private final ValueRegistry values;
    private final TlsConfigurationRegistry tlsRegistry;
    private final Optional<Duration> shutdownTimeout;
    private final LongAdder inFlight = new LongAdder();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final List<Long> reloadTasks = new CopyOnWriteArrayList<>();
    private final List<String> deployments = new ArrayList<>();

    public PublicHttpServers(Vertx vertx, ValueRegistry values, TlsConfigurationRegistry tlsRegistry,
            Optional<Duration> shutdownTimeout) {
        this.vertx = vertx;
        this.values = values;
        this.tlsRegistry = tlsRegistry;
        this.shutdownTimeout = shutdownTimeout;
    }

    /**
     * Binds the servers. {@code handler} gets each request (but those refused while draining); {@code opened} each
     * visitor's connection, after the version gate and the head watch are in its pipeline; {@code onHeadTimeout} runs for
     * each connection closed for a request head that took longer than {@code headTimeoutMillis} (0: not timed).
     */
    public void start(Handler<HttpServerRequest> handler, Consumer<HttpConnection> opened, long headTimeoutMillis,
            Runnable onHeadTimeout) throws Exception {
        SmallRyeConfig config = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class);
        VertxHttpConfig http = listening(config.getConfigMapping(VertxHttpConfig.class));
        VertxHttpBuildTimeConfig build = config.getConfigMapping(VertxHttpBuildTimeConfig.class);
        LaunchMode mode = LaunchMode.current();

        HttpServerOptions plain = new HttpServerOptions();
        int port = http.determinePort(mode);
        plain.setPort(port == 0 ? RANDOM_HTTP : port);
        HttpServerOptionsUtils.applyCommonOptions(plain, build, http, List.of());
        HttpServerOptions tls = HttpServerOptionsUtils.createSslOptions(build, http, mode, List.of(), tlsRegistry);
        if (tls != null && tls.getKeyCertOptions() == null) {
            tls = null;
        }
        addZstd(plain);
        headerListSize(plain, http);
        if (tls != null) {
            addZstd(tls);
            headerListSize(tls, http);
        }
        InsecureRequests insecure = HttpServerOptionsUtils.getInsecureRequestStrategy(http, build, mode);
        if (insecure != InsecureRequests.ENABLED && tls == null) {
            throw new IllegalStateException("quarkus.http.insecure-requests is " + insecure.name().toLowerCase()
                    + " but no TLS certificate is configured (quarkus.http.ssl.certificate.*)");
        }
        int instances = http.ioThreads().isPresent() ? Math.min(http.ioThreads().getAsInt(), eventLoops())
                : mode.isDevOrTest() ? Math.min(2, eventLoops()) : eventLoops();
        Handler<HttpServerRequest> gated = request -> {
            if (draining.get()) {
                // HTTP/1.x: the connection ends with this answer; HTTP/2: Vert.x sends GOAWAY when the server closes
                ConnectionClose.answer(request, () -> request.response().setStatusCode(503).putHeader("Retry-After", "1").end());
            } else {
                handler.handle(request);
            }
        };
        boolean compression = plain.isCompressionSupported() || tls != null && tls.isCompressionSupported();
        Handler<HttpConnection> connected = connection -> {
            if (compression) {
                Http2ContentCoding.install(connection); // HTTP/2: an answer encoded already is not compressed again
            }
            UnsupportedVersions.guard(connection);
            RequestHeadTimeout.connected(connection);
            opened.accept(connection);
        };

        if (tls != null) {
            TlsWarmup.run(vertx); // here, not on the event loop of the first visitor's handshake
            HttpServerOptions options = tls.setPort(tls.getPort() == 0 ? RANDOM_HTTPS : tls.getPort());
            Optional<String> tlsName = HttpServerTlsConfig.getHttpServerTlsConfigName(http, build, mode);
            int actual = listen(options, gated, connected, instances, headTimeoutMillis, onHeadTimeout,
                    server -> reloadTasks.add(TlsCertificateReloader.initCertReloadingAction(vertx, server, options, http.ssl(),
                            tlsRegistry, tlsName)));
            values.register(HttpServer.HTTPS_PORT, actual);
            if (mode.isDevOrTest()) {
                values.register(HttpServer.HTTPS_TEST_PORT, actual);
            }
            LOG.infof("Public HTTPS on %s:%d (HTTP/2 over ALPN: %s)", options.getHost(), actual, options.isUseAlpn());
        }
        if (insecure != InsecureRequests.DISABLED) {
            int httpsPort = tls == null ? -1 : values.get(HttpServer.HTTPS_PORT);
            Handler<HttpServerRequest> onPlain = insecure == InsecureRequests.REDIRECT ? request -> redirect(request, httpsPort)
                    : gated;
            int actual = listen(plain, onPlain, connected, instances, headTimeoutMillis, onHeadTimeout, server -> {
            });
            values.register(HttpServer.HTTP_PORT, actual);
            URI base = URI.create("http://" + ("0.0.0.0".equals(plain.getHost()) ? "localhost" : plain.getHost()) + ":" + actual);
            values.register(HttpServer.LOCAL_BASE_URI, base);
            if (mode.isDevOrTest()) {
                values.register(HttpServer.HTTP_TEST_PORT, actual);
                values.register(ValueRegistry.RuntimeKey.key("test.url"), base.toString());
            }
            LOG.infof("Public HTTP on %s:%d (h2c: %s, compression: %s)", plain.getHost(), actual,
                    plain.isHttp2ClearTextEnabled(), plain.isCompressionSupported());
        }
    }

    /** An answer has started: counted in flight until {@link #leave}. */
    public void enter() {
        inFlight.increment();
    }

    /** An answer counted by {@link #enter} is over (sent, failed or its connection gone); once per answer. */
    public void leave() {
        inFlight.decrement();
    }

    private static void redirect(HttpServerRequest request, int httpsPort) {
        String host = request.authority() == null ? null : request.authority().host();
        if (host == null) {
            request.response().setStatusCode(404).end();
            return;
        }
        String authority = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        request.response().setStatusCode(301)
                .putHeader("Location", "https://" + authority + (httpsPort == 443 ? "" : ":" + httpsPort) + request.uri()).end();
    }

    private int listen(HttpServerOptions options, Handler<HttpServerRequest> handler, Handler<HttpConnection> connected,
            int instances, long headTimeoutMillis, Runnable onHeadTimeout, Consumer<io.vertx.core.http.HttpServer> bound)
            throws Exception {
        int[] port = {0};
        String id = vertx.deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start(Promise<Void> started) {
                RequestHeadTimeout.server(vertx, options, headTimeoutMillis, onHeadTimeout).connectionHandler(connected)
                        .invalidRequestHandler(InvalidRequests::answer).requestHandler(handler).listen().onSuccess(server -> {
                            port[0] = server.actualPort();
                            try {
                                bound.accept(server);
                                started.complete();
                            } catch (RuntimeException e) {
                                started.fail(e);
                            }
                        }).onFailure(started::fail);
            }
        }, new DeploymentOptions().setInstances(instances)).toCompletionStage().toCompletableFuture().get();
        deployments.add(id);
        return port[0];
    }

    /**
     * Stops taking requests (new ones get {@code 503} with {@code Connection: close}), waits for those in flight up to
     * {@code quarkus.shutdown.timeout}, then closes the servers.
     */
    public void stop() {
        draining.set(true);
        long deadline = System.nanoTime() + shutdownTimeout.orElse(Duration.ZERO).toNanos();
        while (inFlight.sum() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (inFlight.sum() > 0) {
            LOG.warnf("Shutting down with %d request(s) still in flight", inFlight.sum());
        }
        reloadTasks.forEach(task -> {
            if (task >= 0) {
                TlsCertificateReloader.unschedule(vertx, task);
            }
        });
        // Waited for: Vert.x's own close, right after, undeploys whatever is still listed, and one of ours still
        // undeploying would be undeployed twice ("Undeploy failed: Already undeployed" logged as an error).
        List<Future<?>> undeployed = new ArrayList<>();
        for (String id : deployments) {
            undeployed.add(vertx.undeploy(id));
        }
        try {
            Future.join(undeployed).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("The public servers did not all stop cleanly: %s", e.getCause() == null ? e : e.getCause());
        }
    }

    /**
     * HTTP/2 takes the heads HTTP/1.1 takes: unless {@code quarkus.http.limits.max-header-list-size} says otherwise, its
     * header list may be as large as {@code quarkus.http.limits.max-header-size} (16K) and a quarter (HPACK counts 32
     * bytes more per field). Vert.x's own default, 8K, refused over HTTP/2 with {@code 431} a head (a large cookie) that
     * HTTP/1.1 served; past the list size and a quarter more, Netty ends the whole connection.
     */
    private static void headerListSize(HttpServerOptions options, VertxHttpConfig http) {
        if (http.limits().maxHeaderListSize().isEmpty() && options.getInitialSettings() != null) {
            long head = http.limits().maxHeaderSize().asLongValue();
            options.getInitialSettings().setMaxHeaderListSize(head + head / 4);
        }
    }

    private static void addZstd(HttpServerOptions options) {
        if (options.isCompressionSupported()) {
            options.addCompressor(StandardCompressionOptions.zstd());
        }
    }

    private int eventLoops() {
        int count = 0;
        for (var ignored : ((VertxInternal) vertx).getEventLoopGroup()) {
            count++;
        }
        return Math.max(1, count);
    }

    /**
     * Quarkus' option builders return nothing while {@code quarkus.http.host-enabled} is false, which keeps Quarkus'
     * own public server from binding the port; they are given the same configuration with that key true. (The
     * service's bean names {@code VertxHttpConfig} in {@code @RegisterForProxy} for a native image.)
     */
    private static VertxHttpConfig listening(VertxHttpConfig config) {
        return (VertxHttpConfig) Proxy.newProxyInstance(VertxHttpConfig.class.getClassLoader(),
                new Class<?>[] {VertxHttpConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("hostEnabled") && method.getParameterCount() == 0) {
                        return true;
                    }
                    if (method.isDefault()) {
                        return InvocationHandler.invokeDefault(proxy, method, args);
                    }
                    try {
                        return method.invoke(config, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
