import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.httpproxy.HttpProxy;

/**
 * The floor under proxy-service's request path, for bench/proxy-floor: a reverse proxy of bare Vert.x on the same
 * Vert.x and Netty as proxy-service (epoll, one server and one pooled client per event loop), that copies the
 * request's headers up and the answer's back and streams both bodies. Nothing else: no hop-by-hop header removal,
 * no forwarded headers, no security headers, no request id, no metrics, no error pages, no router. What proxy-service
 * costs above it is what its features and Quarkus' HTTP layer cost.
 *
 * <p>With a fourth argument {@code http-proxy}, the same server hands each request to vertx-http-proxy's reverse proxy
 * (the library issue 3 asks proxy-service to be built on) with no interceptor: the floor of that library, between bare
 * Vert.x and proxy-service.
 *
 * Usage: java -cp <proxy-service's lib jars>:. VertxFloor listen-port origin-port event-loops [http-proxy]
 */
public final class VertxFloor {
    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        int origin = Integer.parseInt(args[1]);
        int loops = Integer.parseInt(args[2]);
        boolean library = args.length > 3 && args[3].equals("http-proxy");
        Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops));
        vertx.deployVerticle(() -> new AbstractVerticle() {
            private HttpClient client;
            private HttpProxy proxy;

            @Override
            public void start() {
                client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true), new PoolOptions().setHttp1MaxSize(256));
                proxy = HttpProxy.reverseProxy(client).origin(origin, "127.0.0.1");
                vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
                        .requestHandler(library ? proxy : this::proxy).listen();
            }

            private void proxy(HttpServerRequest visitor) {
                visitor.pause();
                client.request(new RequestOptions().setMethod(visitor.method()).setHost("127.0.0.1").setPort(origin)
                        .setURI(visitor.uri()))
                        .onFailure(e -> visitor.response().setStatusCode(502).end())
                        .onSuccess(up -> {
                            up.headers().setAll(visitor.headers());
                            up.send(visitor).onFailure(e -> visitor.response().setStatusCode(502).end())
                                    .onSuccess(answer -> {
                                        visitor.response().setStatusCode(answer.statusCode());
                                        visitor.response().headers().setAll(answer.headers());
                                        visitor.response().send(answer);
                                    });
                        });
            }
        }, new DeploymentOptions().setInstances(loops)).onSuccess(id -> System.out.println("listening on " + port));
    }
}
