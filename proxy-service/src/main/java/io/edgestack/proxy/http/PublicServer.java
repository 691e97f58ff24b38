package io.edgestack.proxy.http;

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

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.edgestack.cluster.ConnectionClose;
import io.edgestack.cluster.RequestHeadTimeout;
import io.edgestack.cluster.TlsWarmup;
import io.edgestack.proxy.config.ProxyConfig;
import io.edgestack.proxy.metrics.ProxyMetrics;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.annotations.RegisterForProxy;
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
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.edgestack.cluster.UnsupportedVersions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.impl.VertxInternal;

/**
 * The public port: Vert.x HTTP servers of the proxy's own, one per event loop, that hand each request straight to
 * {@link ProxyRouter}. Quarkus' own public server is off ({@code quarkus.http.host-enabled=false}): its layer in front
 * of a route (a duplicated context, request wrappers, a URI parse, the Vert.x Web router and its routing context) cost
 * about as much CPU per proxied 1 KiB answer as all of the proxy's own stages. The servers are configured from the
 * same {@code quarkus.http.*} keys, through Quarkus' own option builders: port and host, TLS (PEM or key store, the
 * TLS registry, reload on change), HTTP/2 and h2c, header and line limits, compression ({@code quarkus.http.compressors}
 * and zstd), {@code quarkus.http.insecure-requests}. On shutdown new requests get {@code 503} and those in flight may
 * finish within {@code quarkus.shutdown.timeout}.
 */
@Singleton
@RegisterForProxy(targets = VertxHttpConfig.class)
public class PublicServer {

    private static final Logger LOG = Logger.getLogger(PublicServer.class);
    /** Vert.x shares a random port among the servers that listen on the same negative port (as Quarkus does). */
    private static final int RANDOM_HTTP = -1;
    private static final int RANDOM_HTTPS = -2;

    private final Vertx vertx;
    private final ProxyRouter router;
    private final ProxyMetrics metrics;
    private final ValueRegistry values;
    private final TlsConfigurationRegistry tlsRegistry;
    private final Optional<Duration> shutdownTimeout;
    private final LongAdder inFlight = new LongAdder();
    private final long headTimeoutMillis;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final List<Long> reloadTasks = new CopyOnWriteArrayList<>();
    private final List<String> deployments = new ArrayList<>();

    public PublicServer(Vertx vertx, ProxyRouter router, ProxyMetrics metrics, ValueRegistry values, TlsConfigurationRegistry tlsRegistry,
            @ConfigProperty(name = "quarkus.shutdown.timeout") Optional<Duration> shutdownTimeout, ProxyConfig config) {
        this.vertx = vertx;
        this.headTimeoutMillis = config.requestHeadTimeout().toMillis();
        this.router = router;
        this.metrics = metrics;
        this.values = values;
        this.tlsRegistry = tlsRegistry;
        this.shutdownTimeout = shutdownTimeout;
    }

    void start(@Observes StartupEvent event) throws Exception {
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
        if (tls != null) {
            addZstd(tls);
        }
        InsecureRequests insecure = HttpServerOptionsUtils.getInsecureRequestStrategy(http, build, mode);
        if (insecure != InsecureRequests.ENABLED && tls == null) {
            throw new IllegalStateException("quarkus.http.insecure-requests is " + insecure.name().toLowerCase()
                    + " but no TLS certificate is configured (quarkus.http.ssl.certificate.*)");
        }
        int instances = http.ioThreads().isPresent() ? Math.min(http.ioThreads().getAsInt(), eventLoops())
                : mode.isDevOrTest() ? Math.min(2, eventLoops()) : eventLoops();

        if (tls != null) {
            TlsWarmup.run(vertx); // here, not on the event loop of the first visitor's handshake
            HttpServerOptions options = tls.setPort(tls.getPort() == 0 ? RANDOM_HTTPS : tls.getPort());
            Optional<String> tlsName = HttpServerTlsConfig.getHttpServerTlsConfigName(http, build, mode);
            int actual = listen(options, this::handle, instances, server -> reloadTasks.add(
                    TlsCertificateReloader.initCertReloadingAction(vertx, server, options, http.ssl(), tlsRegistry, tlsName)));
            values.register(HttpServer.HTTPS_PORT, actual);
            if (mode.isDevOrTest()) {
                values.register(HttpServer.HTTPS_TEST_PORT, actual);
            }
            LOG.infof("Public HTTPS on %s:%d (HTTP/2 over ALPN: %s)", options.getHost(), actual, options.isUseAlpn());
        }
        if (insecure != InsecureRequests.DISABLED) {
            int httpsPort = tls == null ? -1 : values.get(HttpServer.HTTPS_PORT);
            Handler<HttpServerRequest> handler = insecure == InsecureRequests.REDIRECT ? request -> redirect(request, httpsPort)
                    : this::handle;
            int actual = listen(plain, handler, instances, server -> {
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

    /** The servers' request handler: each request counted in flight until its answer is done, refused while draining. */
    private void handle(HttpServerRequest request) {
        if (draining.get()) {
            // HTTP/1.x: the connection ends with this answer; HTTP/2: Vert.x sends GOAWAY when the server closes
            ConnectionClose.answer(request, () -> request.response().setStatusCode(503).putHeader("Retry-After", "1").end());
            return;
        }
        inFlight.increment();
        RequestEnd end = RequestEnd.on(request.response());
        end.add(inFlight::decrement);
        router.handle(request, end);
    }

    /** A visitor's connection, counted until its channel closes (a WebSocket's too: see {@link RequestEnd#onClose}). */
    private void opened(HttpConnection connection) {
        UnsupportedVersions.guard(connection);
        RequestHeadTimeout.connected(connection);
        metrics.opened(connection);
        RequestEnd.onClose(connection, () -> metrics.closed(connection));
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

    private int listen(HttpServerOptions options, Handler<HttpServerRequest> handler, int instances,
            java.util.function.Consumer<io.vertx.core.http.HttpServer> bound) throws Exception {
        int[] port = {0};
        String id = vertx.deployVerticle(() -> new AbstractVerticle() {
            @Override
            public void start(io.vertx.core.Promise<Void> started) {
                RequestHeadTimeout.server(vertx, options, headTimeoutMillis, metrics::headTimedOut)
                        .connectionHandler(PublicServer.this::opened).requestHandler(handler).listen().onSuccess(server -> {
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
    void stop(@Observes ShutdownEvent event) {
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
        List<io.vertx.core.Future<?>> undeployed = new ArrayList<>();
        for (String id : deployments) {
            undeployed.add(vertx.undeploy(id));
        }
        try {
            io.vertx.core.Future.join(undeployed).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warnf("The public servers did not all stop cleanly: %s", e.getCause() == null ? e : e.getCause());
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
     * own public server from binding the port; they are given the same configuration with that key true.
     */
    private static VertxHttpConfig listening(VertxHttpConfig config) {
        return (VertxHttpConfig) Proxy.newProxyInstance(VertxHttpConfig.class.getClassLoader(),
                new Class<?>[] {VertxHttpConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("hostEnabled") && method.getParameterCount() == 0) {
                        return true;
                    }
                    if (method.isDefault()) {
                        return java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args);
                    }
                    try {
                        return method.invoke(config, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
