package io.edgestack.tunnel.tls;

import java.util.ArrayList;
import java.util.List;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.spi.tls.SslContextFactory;

/**
 * The JDK TLS engine of the public HTTPS listener, offering {@code acme-tls/1} by ALPN next to HTTP/2 and HTTP/1.1
 * (Vert.x's HTTP server only names HTTP versions), so TLS-ALPN-01 challenges (RFC 8737) are answered on the listener
 * itself; {@link SniKeyManager} shows the validation certificate when that protocol was chosen.
 */
final class AcmeTlsEngineOptions extends JdkSSLEngineOptions {

    static final String ACME_TLS_1 = "acme-tls/1";

    AcmeTlsEngineOptions() {
    }

    AcmeTlsEngineOptions(AcmeTlsEngineOptions other) {
        super(other);
    }

    @Override
    public AcmeTlsEngineOptions copy() {
        return new AcmeTlsEngineOptions(this);
    }

    @Override
    public SslContextFactory sslContextFactory() {
        SslContextFactory delegate = super.sslContextFactory();
        return new SslContextFactory() {
            private boolean client;

            @Override
            public SslContextFactory useAlpn(boolean useAlpn) {
                delegate.useAlpn(useAlpn);
                return this;
            }

            @Override
            public SslContextFactory clientAuth(ClientAuth clientAuth) {
                delegate.clientAuth(clientAuth);
                return this;
            }

            @Override
            public SslContextFactory forClient(boolean forClient) {
                client = forClient;
                delegate.forClient(forClient);
                return this;
            }

            @Override
            public SslContextFactory keyMananagerFactory(javax.net.ssl.KeyManagerFactory factory) {
                delegate.keyMananagerFactory(factory);
                return this;
            }

            @Override
            public SslContextFactory trustManagerFactory(javax.net.ssl.TrustManagerFactory factory) {
                delegate.trustManagerFactory(factory);
                return this;
            }

            @Override
            public SslContextFactory enabledCipherSuites(java.util.Set<String> suites) {
                delegate.enabledCipherSuites(suites);
                return this;
            }

            @Override
            public SslContextFactory applicationProtocols(List<String> protocols) {
                List<String> offered = new ArrayList<>(protocols == null ? List.of() : protocols);
                if (!client && !offered.isEmpty() && !offered.contains(ACME_TLS_1)) {
                    offered.add(ACME_TLS_1);
                }
                delegate.applicationProtocols(offered);
                return this;
            }

            @Override
            public SslContextFactory serverName(String serverName) {
                delegate.serverName(serverName);
                return this;
            }

            @Override
            public SslContext create() throws javax.net.ssl.SSLException {
                return delegate.create();
            }
        };
    }
}
