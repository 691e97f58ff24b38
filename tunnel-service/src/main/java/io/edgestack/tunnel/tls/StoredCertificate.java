package io.edgestack.tunnel.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** A host's certificate chain (leaf first) and its private key, as served and as kept on disk. */
public record StoredCertificate(String host, List<X509Certificate> chain, PrivateKey key) {

    public Instant notBefore() {
        return chain.get(0).getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return chain.get(0).getNotAfter().toInstant();
    }

    /** Renewal is due two thirds into the certificate's life (Let's Encrypt's advice, Caddy's default). */
    public Instant renewAt() {
        Duration life = Duration.between(notBefore(), notAfter());
        return notBefore().plus(life.multipliedBy(2).dividedBy(3));
    }
}
