package io.edgestack.tunnel.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Picks the certificate of the host name a client asks for (SNI) at each handshake, from the certificates held right
 * now: a certificate obtained or renewed is served from the next handshake on, with no listener restart. A name with
 * no certificate (or no SNI at all) gets none, so the handshake fails rather than showing a certificate for another
 * name.
 */
public final class SniKeyManager extends X509ExtendedKeyManager {

    private final Map<String, StoredCertificate> certificates = new ConcurrentHashMap<>();
    /** TLS-ALPN-01 validation certificates of pending challenges, shown only to {@code acme-tls/1} handshakes. */
    private final Map<String, StoredCertificate> validations = new ConcurrentHashMap<>();
    private static final String VALIDATION = "acme-tls/1:";

    public void put(StoredCertificate certificate) {
        certificates.put(certificate.host(), certificate);
    }

    public StoredCertificate get(String host) {
        return certificates.get(host);
    }

    void putValidation(StoredCertificate certificate) {
        validations.put(certificate.host(), certificate);
    }

    void removeValidation(String host) {
        validations.remove(host);
    }

    private StoredCertificate lookup(String alias) {
        return alias.startsWith(VALIDATION) ? validations.get(alias.substring(VALIDATION.length())) : certificates.get(alias);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        SSLSession handshake = engine.getHandshakeSession();
        if (!(handshake instanceof ExtendedSSLSession session)) {
            return null;
        }
        for (SNIServerName name : session.getRequestedServerNames()) {
            if (name instanceof SNIHostName host) {
                String alias = host.getAsciiName().toLowerCase(Locale.ROOT);
                if (AcmeTlsEngineOptions.ACME_TLS_1.equals(engine.getHandshakeApplicationProtocol())) {
                    alias = VALIDATION + alias; // an ACME server validating; nothing else is shown on this protocol
                }
                StoredCertificate certificate = lookup(alias);
                return certificate != null && fits(keyType, certificate.key()) ? alias : null;
            }
        }
        return null;
    }

    /** JSSE names the key type it can use: {@code EC}, {@code RSA}, {@code RSASSA-PSS}, or TLS 1.2's {@code EC_EC}. */
    private static boolean fits(String keyType, PrivateKey key) {
        String algorithm = key.getAlgorithm().equals("ECDSA") ? "EC" : key.getAlgorithm();
        return keyType.equals(algorithm) || keyType.startsWith(algorithm + "_")
                || ("RSA".equals(algorithm) && keyType.equals("RSASSA-PSS"));
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        StoredCertificate certificate = lookup(alias);
        return certificate == null ? null : certificate.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        StoredCertificate certificate = lookup(alias);
        return certificate == null ? null : certificate.key();
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return null; // the listener runs on SSLEngine, never on sockets
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return certificates.keySet().toArray(String[]::new);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
