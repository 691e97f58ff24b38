package io.edgestack.deploy.purge;

import java.net.URI;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.edgestack.deploy.config.DeployConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

/**
 * Re-warms purged pages: asks proxy-service for each one (with the public Host), a few at a time, so that the first
 * visitor after a deploy is not the one who pays for the miss. Non-blocking; the answer counts the pages fetched.
 */
@ApplicationScoped
public class Rewarm {

    private static final Logger LOG = Logger.getLogger(Rewarm.class);
    private static final int PARALLEL = 4;

    private final URI proxy;
    private final HttpClient client;

    public Rewarm(DeployConfig config, Vertx vertx) {
        String url = config.proxy().publicUrl();
        this.proxy = "none".equals(url) ? null : URI.create(url);
        this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2000).setIdleTimeout(10)
                .setMaxPoolSize(PARALLEL));
    }

    /** Fetches {@code path} for each host; completes with the number of 2xx answers. */
    public Future<Integer> pages(List<String> hosts, List<String> paths) {
        if (proxy == null || paths.isEmpty()) {
            return Future.succeededFuture(0);
        }
        AtomicInteger ok = new AtomicInteger();
        List<RequestOptions> requests = hosts.stream().flatMap(host -> paths.stream().map(path -> new RequestOptions()
                .setMethod(HttpMethod.GET).setHost(proxy.getHost()).setPort(port(proxy)).setURI(path)
                .putHeader("Host", host).putHeader("Accept-Encoding", "br, gzip").putHeader("User-Agent", "edgestack-deploy/rewarm")
                .setTimeout(10_000))).toList();
        return next(requests, 0, ok).map(v -> ok.get());
    }

    private Future<Void> next(List<RequestOptions> requests, int from, AtomicInteger ok) {
        if (from >= requests.size()) {
            return Future.succeededFuture();
        }
        List<Future<Void>> batch = requests.subList(from, Math.min(from + PARALLEL, requests.size())).stream()
                .map(options -> client.request(options).compose(request -> request.send())
                        .compose(response -> response.body().map(body -> {
                            if (response.statusCode() / 100 == 2) {
                                ok.incrementAndGet();
                            }
                            return (Void) null;
                        })).otherwise(e -> {
                            LOG.debugf("Re-warming %s failed: %s", options.getURI(), e.getMessage());
                            return null;
                        }))
                .toList();
        return Future.join(batch).<Void>mapEmpty().recover(e -> Future.succeededFuture())
                .compose(v -> next(requests, from + PARALLEL, ok));
    }

    private static int port(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
    }
}
