package io.edgestack.tunnel.tls;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Base64;

import javax.net.ssl.X509TrustManager;

/**
 * The connector's trust in its edge: the edge's certificate chain must end in the CA whose fingerprint the token
 * carries, every link signed by the next and in its validity period. No public CA is consulted and the host name is
 * not what is checked: only the edge that holds this CA's key can show such a chain.
 */
public final class PinnedCaTrustManager implements X509TrustManager {

    private final String pin;

    public PinnedCaTrustManager(String pin) {
        this.pin = pin;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the edge showed no certificate");
        }
        try {
            for (int i = 0; i < chain.length; i++) {
                chain[i].checkValidity();
                if (fingerprint(chain[i]).equals(pin)) {
                    chain[i].verify(chain[i].getPublicKey()); // the pinned CA is self-signed
                    return;
                }
                if (i + 1 == chain.length) {
                    break;
                }
                chain[i].verify(chain[i + 1].getPublicKey());
            }
        } catch (GeneralSecurityException e) {
            throw new CertificateException("the edge's certificate chain does not verify: " + e.getMessage(), e);
        }
        throw new CertificateException("the edge's certificate is not signed by the tunnel CA this token pins (caf "
                + pin.substring(0, Math.min(12, pin.length())) + "…): wrong edge, or its CA was made again");
    }

    /**
     * What tokens carry and connectors pin: base64url SHA-256 of the CA certificate. Here rather than in
     * {@link PrivateCa}, whose class initialisation registers the Bouncy Castle provider: a connector has no use for it.
     */
    public static String fingerprint(X509Certificate certificate) throws GeneralSecurityException {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a connector does not authenticate clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
