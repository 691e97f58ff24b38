package io.edgestack.tunnel.tls;

import jakarta.enterprise.context.ApplicationScoped;

import io.edgestack.tunnel.config.HostPattern;
import io.edgestack.tunnel.config.TunnelConfig;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The edge's plain HTTP port with TLS on: answers ACME HTTP-01 challenges ({@code /.well-known/acme-challenge/}) and
 * redirects every other request for a host that has a certificate to HTTPS (308, method and body kept).
 */
@ApplicationScoped
public class AcmeHttpRoutes {

    static final String CHALLENGE_PATH = "/.well-known/acme-challenge/";

    private final TunnelConfig config;
    private final CertificateManager certificates;

    public AcmeHttpRoutes(TunnelConfig config, CertificateManager certificates) {
        this.config = config;
        this.certificates = certificates;
    }

    /** On the edge's public HTTP router ({@code EdgePublicServer}). */
    public void install(Router router) {
        if (config.mode() != TunnelConfig.Mode.EDGE || !config.edge().tls().enabled()) {
            return;
        }
        router.route().order(Integer.MAX_VALUE - 2).handler(this::handle);
    }

    private void handle(RoutingContext context) {
        HttpServerRequest request = context.request();
        String path = request.path();
        if (path != null && path.startsWith(CHALLENGE_PATH)) {
            String answer = certificates.challengeResponse(path.substring(CHALLENGE_PATH.length()));
            if (answer == null) {
                context.response().setStatusCode(404).putHeader("Content-Type", "text/plain").end("no such challenge\n");
            } else {
                context.response().putHeader("Content-Type", "text/plain").end(answer);
            }
            return;
        }
        String host = HostPattern.normalise(request.authority() != null ? request.authority().host() : request.getHeader("Host"));
        if (!certificates.redirects(host)) {
            context.next();
            return;
        }
        int port = certificates.publicPort();
        String location = "https://" + host + (port == 443 ? "" : ":" + port) + request.uri();
        context.response().setStatusCode(308).putHeader("Location", location).putHeader("Content-Length", "0").end();
    }
}
