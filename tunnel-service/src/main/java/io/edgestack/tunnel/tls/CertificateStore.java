package io.edgestack.tunnel.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import java.util.Optional;

import org.shredzone.acme4j.util.KeyPairUtils;

/**
 * Where the ACME account key and each host's certificate and key are kept: {@code account.pem} and
 * {@code certificates/<host>/chain.pem, key.pem} under the storage folder. Folders are owner-only (700), files 600;
 * every file is written to a temporary name and moved into place, so a crash never leaves half a key.
 */
public final class CertificateStore {

    private final Path root;

    public CertificateStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** The account key pair, made (EC P-256) and kept on first use; one per store even when asked concurrently. */
    public synchronized KeyPair accountKey() throws IOException {
        Path file = root.resolve("account.pem");
        if (Files.isRegularFile(file)) {
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII)) {
                return KeyPairUtils.readKeyPair(reader);
            }
        }
        KeyPair created = KeyPairUtils.createECKeyPair("secp256r1");
        write(file, pem(created));
        return created;
    }

    /** The stored certificate of {@code host}, or empty when there is none or it cannot be read. */
    public Optional<StoredCertificate> load(String host) throws IOException {
        Path folder = folder(host);
        Path chainFile = folder.resolve("chain.pem");
        Path keyFile = folder.resolve("key.pem");
        if (!Files.isRegularFile(chainFile) || !Files.isRegularFile(keyFile)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(chainFile);
                Reader keyReader = Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII)) {
            List<X509Certificate> chain = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
            if (chain.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new StoredCertificate(host, chain, jdkKey(KeyPairUtils.readKeyPair(keyReader).getPrivate())));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IOException("the stored certificate of " + host + " in " + folder + " cannot be read: " + e, e);
        }
    }

    /** The key as the JDK's own provider sees it (Bouncy Castle's calls EC keys "ECDSA"), for the TLS stack. */
    private static PrivateKey jdkKey(PrivateKey key) throws GeneralSecurityException {
        String algorithm = key.getAlgorithm().startsWith("EC") ? "EC" : key.getAlgorithm();
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
    }

    /** Keeps a new certificate of {@code host}: the key first, then the chain that goes with it. */
    public StoredCertificate save(String host, String chainPem, KeyPair key) throws IOException {
        Path folder = folder(host);
        write(folder.resolve("key.pem"), pem(key));
        write(folder.resolve("chain.pem"), chainPem);
        return load(host).orElseThrow(() -> new IOException("the certificate of " + host + " was not kept"));
    }

    private Path folder(String host) {
        if (!host.matches("[a-z0-9.-]+") || host.contains("..")) {
            throw new IllegalArgumentException("not a host name: " + host);
        }
        return root.resolve("certificates").resolve(host);
    }

    private static String pem(KeyPair key) throws IOException {
        StringWriter text = new StringWriter();
        KeyPairUtils.writeKeyPair(key, text);
        return text.toString();
    }

    private static void write(Path file, String content) throws IOException {
        PrivateFiles.write(file, content);
    }
}
