package io.edgestack.tunnel.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.shredzone.acme4j.util.KeyPairUtils;

/**
 * The edge's own CA for the connector link: made on first start ({@code ca.pem}, {@code ca-key.pem} in its folder,
 * owner-only), kept across restarts, and used to sign the connector listener's certificate at each start. A connector
 * needs no public certificate for the tunnel: its token carries this CA's fingerprint and it accepts only an edge
 * certificate signed by that CA ({@link PinnedCaTrustManager}).
 */
public final class PrivateCa {

    /** The listener's certificate chain (leaf, CA) and key, PEM. */
    public record Listener(String chainPem, String keyPem) {
    }

    static {
        AcmeIssuer.ensureBouncyCastle();
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate ca;
    private final KeyPair caKey;

    private PrivateCa(X509Certificate ca, KeyPair caKey) {
        this.ca = ca;
        this.caKey = caKey;
    }

    /** The CA of {@code folder}, made there when it has none yet. */
    public static PrivateCa loadOrCreate(Path folder) throws IOException {
        Path certFile = folder.resolve("ca.pem");
        Path keyFile = folder.resolve("ca-key.pem");
        try {
            if (Files.isRegularFile(certFile) && Files.isRegularFile(keyFile)) {
                try (Reader reader = Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII)) {
                    X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(certFile)));
                    return new PrivateCa(ca, KeyPairUtils.readKeyPair(reader));
                }
            }
            KeyPair key = KeyPairUtils.createECKeyPair("secp256r1");
            byte[] id = new byte[6];
            RANDOM.nextBytes(id);
            X500Name name = new X500Name("CN=edgestack tunnel CA " + Base64.getUrlEncoder().withoutPadding().encodeToString(id));
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(3650 * 2))), name,
                    key.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509Certificate ca = sign(builder, key);
            PrivateFiles.write(keyFile, pem(key));
            PrivateFiles.write(certFile, pem(ca));
            return new PrivateCa(ca, key);
        } catch (GeneralSecurityException | OperatorCreationException | RuntimeException e) {
            throw new IOException("the tunnel CA in " + folder + " cannot be read or made: " + e, e);
        }
    }

    /** What tokens carry and connectors pin: base64url SHA-256 of the CA certificate. */
    public String fingerprint() {
        try {
            return PinnedCaTrustManager.fingerprint(ca);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh listener certificate (a new key, a year), signed by this CA, for {@code names} (host names or IPs). */
    public Listener listener(java.util.List<String> names) throws IOException {
        try {
            KeyPair key = KeyPairUtils.createECKeyPair("secp256r1");
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(366))),
                    new X500Name("CN=edgestack tunnel edge"), key.getPublic());
            GeneralName[] alternatives = names.stream().map(n -> n.matches("[0-9.]+|.*:.*")
                    ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n))
                    .toArray(GeneralName[]::new);
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alternatives));
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            X509Certificate leaf = sign(builder, caKey);
            return new Listener(pem(leaf) + pem(ca), pkcs8(key));
        } catch (GeneralSecurityException | OperatorCreationException | RuntimeException e) {
            throw new IOException("the connector listener's certificate cannot be made: " + e, e);
        }
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder builder, KeyPair signer)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    }

    private static BigInteger serial() {
        return new BigInteger(64, RANDOM).abs().add(BigInteger.ONE);
    }

    private static String pem(X509Certificate certificate) throws GeneralSecurityException {
        return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(certificate.getEncoded()) + "\n-----END CERTIFICATE-----\n";
    }

    private static String pkcs8(KeyPair key) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    }

    private static String pem(KeyPair key) throws IOException {
        StringWriter text = new StringWriter();
        KeyPairUtils.writeKeyPair(key, text);
        return text.toString();
    }
}
