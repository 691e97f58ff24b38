package io.edgestack.tunnel.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import org.jboss.logging.Logger;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.OrderBuilder;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
import org.shredzone.acme4j.connector.HttpConnector;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.connector.Resource;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;
import org.shredzone.acme4j.util.KeyPairUtils;

/**
 * Obtains certificates over ACME (RFC 8555) with acme4j: one account (its key kept in the {@link CertificateStore}),
 * one order per host, answered with HTTP-01 on the edge's plain HTTP listener ({@link #challengeResponse}). Blocking:
 * it runs on a worker thread, never on an event loop.
 */
public final class AcmeIssuer {

    /** A failed order, with a short kind for the metric ({@code unauthorized}, {@code rateLimited}, {@code connection} ...). */
    public static final class IssueFailed extends Exception {
        public final String kind;

        IssueFailed(String kind, String message, Throwable cause) {
            super(message, cause);
            this.kind = kind;
        }
    }

    static final Map<String, String> DIRECTORIES = Map.of(
            "letsencrypt", "https://acme-v02.api.letsencrypt.org/directory",
            "letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory");

    private static final Logger LOG = Logger.getLogger(AcmeIssuer.class);

    static {
        ensureBouncyCastle();
    }

    /** acme4j makes its keys and CSRs with Bouncy Castle, by provider name. */
    static synchronized void ensureBouncyCastle() {
        if (java.security.Security.getProvider("BC") == null) {
            java.security.Security.addProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
        }
    }

    private final URI directory;
    private final Optional<String> email;
    private final Optional<Path> trustFile;
    private final CertificateStore store;
    private final Duration timeout;
    private final List<String> types;
    private final SniKeyManager keys;
    private final Map<String, String> challenges = new ConcurrentHashMap<>();
    private java.net.URL accountLocation;
    private KeyPair accountKey;
    /** Per host, how many orders failed in a row: the challenge type tried next rotates with it. */
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();

    public AcmeIssuer(String directory, Optional<String> email, Optional<Path> trustFile, CertificateStore store,
            Duration timeout, List<String> types, SniKeyManager keys) {
        this.directory = URI.create(DIRECTORIES.getOrDefault(directory.trim(), directory.trim()));
        this.email = email;
        this.trustFile = trustFile;
        this.store = store;
        this.timeout = timeout;
        this.types = types.stream().map(String::trim).toList();
        for (String type : this.types) {
            if (!type.equals(Http01Challenge.TYPE) && !type.equals(TlsAlpn01Challenge.TYPE)) {
                throw new IllegalArgumentException("edgestack.tunnel.edge.tls.acme.challenges: '" + type
                        + "' is not a challenge type the edge answers (http-01, tls-alpn-01)");
            }
        }
        if (this.types.isEmpty()) {
            throw new IllegalArgumentException("edgestack.tunnel.edge.tls.acme.challenges: name at least one challenge type");
        }
        this.keys = keys;
    }

    public URI directory() {
        return directory;
    }

    /** The key authorization the ACME server expects at {@code /.well-known/acme-challenge/<token>}, if pending. */
    public String challengeResponse(String token) {
        return challenges.get(token);
    }

    /**
     * A new certificate for {@code host} (a fresh key each time), kept in the store before it is returned.
     * {@code replacing} is the certificate it renews, named to the server when it offers renewal information.
     */
    public StoredCertificate issue(String host, Optional<StoredCertificate> replacing) throws IssueFailed {
        try {
            Session session = new Session(directory, provider());
            OrderBuilder builder = login(session).newOrder().domain(host);
            if (replacing.isPresent() && session.resourceUrlOptional(Resource.RENEWAL_INFO).isPresent()) {
                builder.replaces(replacing.get().chain().get(0));
            }
            Order order = builder.create();
            String type = types.get(failures.getOrDefault(host, 0) % types.size());
            for (Authorization authorization : order.getAuthorizations()) {
                authorize(host, authorization, type);
            }
            KeyPair domainKey = KeyPairUtils.createECKeyPair("secp256r1");
            order.waitUntilReady(timeout);
            order.execute(domainKey);
            Status status = order.waitForCompletion(timeout);
            if (status != Status.VALID) {
                throw new IssueFailed("order", "the order for " + host + " ended " + status
                        + order.getError().map(p -> ": " + p).orElse(""), null);
            }
            StringWriter chain = new StringWriter();
            order.getCertificate().writeCertificate(chain);
            StoredCertificate saved = store.save(host, chain.toString(), domainKey);
            failures.remove(host);
            return saved;
        } catch (IssueFailed e) {
            failures.merge(host, 1, Integer::sum);
            throw e;
        } catch (org.shredzone.acme4j.exception.AcmeServerException e) {
            String type = e.getType() == null ? "server" : e.getType().toString();
            throw new IssueFailed(type.substring(type.lastIndexOf(':') + 1), e.getMessage(), e);
        } catch (org.shredzone.acme4j.exception.AcmeNetworkException e) {
            throw new IssueFailed("connection", "the ACME server at " + directory + " cannot be reached: " + e.getMessage(), e);
        } catch (AcmeException e) {
            throw new IssueFailed("protocol", e.getMessage(), e);
        } catch (IOException | GeneralSecurityException e) {
            throw new IssueFailed("storage", e.toString(), e);
        } catch (RuntimeException e) {
            throw new IssueFailed("internal", e.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IssueFailed("interrupted", "interrupted", e);
        }
    }

    /** When the server suggests renewing {@code certificate} (ACME Renewal Information), if it offers that. */
    public Optional<Instant> suggestedRenewal(StoredCertificate certificate) {
        try {
            Session session = new Session(directory, provider());
            if (session.resourceUrlOptional(Resource.RENEWAL_INFO).isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(login(session).bindRenewalInfo(certificate.chain().get(0))
                    .getSuggestedWindowStart());
        } catch (AcmeException | IOException | GeneralSecurityException | RuntimeException e) {
            LOG.debugf("No renewal information for %s: %s", certificate.host(), e.toString());
            return Optional.empty();
        }
    }

    private void authorize(String host, Authorization authorization, String type) throws AcmeException,
            InterruptedException, IssueFailed {
        if (authorization.getStatus() == Status.VALID) {
            return;
        }
        Challenge challenge = authorization.findChallenge(type).orElseThrow(() -> new IssueFailed(
                "challenge", "the ACME server offers no " + type + " challenge for " + host, null));
        Runnable cleanup;
        if (challenge instanceof TlsAlpn01Challenge alpn) {
            KeyPair key = KeyPairUtils.createKeyPair(2048); // acme4j signs validation certificates with RSA
            X509Certificate validation = alpn.createCertificate(key, authorization.getIdentifier());
            keys.putValidation(new StoredCertificate(host, List.of(validation), key.getPrivate()));
            cleanup = () -> keys.removeValidation(host);
        } else if (challenge instanceof Http01Challenge http) {
            challenges.put(http.getToken(), http.getAuthorization());
            cleanup = () -> challenges.remove(http.getToken());
        } else {
            throw new IssueFailed("challenge", "challenge type " + type + " is not answered here", null);
        }
        try {
            challenge.trigger();
            Status status = challenge.waitForCompletion(timeout);
            if (status != Status.VALID) {
                throw new IssueFailed(challenge.getError().map(p -> {
                    String problem = p.getType().toString();
                    return problem.substring(problem.lastIndexOf(':') + 1);
                }).orElse("challenge"), "the " + type + " challenge for " + host + " failed: "
                        + challenge.getError().map(Object::toString).orElse(status.toString()), null);
            }
        } finally {
            cleanup.run();
        }
    }

    /** The account: looked up (or made) once per process, then reused by its URL (orders of several hosts may run at once). */
    private synchronized Login login(Session session) throws AcmeException, IOException {
        if (accountLocation != null) {
            return session.login(accountLocation, accountKey);
        }
        KeyPair key = store.accountKey();
        AccountBuilder builder = new AccountBuilder().agreeToTermsOfService().useKeyPair(key);
        email.ifPresent(builder::addEmail);
        Login login = builder.createLogin(session); // finds the existing account of this key, or makes it
        accountKey = key;
        accountLocation = login.getAccountLocation();
        return login;
    }

    private GenericAcmeProvider provider() throws IOException, GeneralSecurityException {
        if (trustFile.isEmpty()) {
            return new GenericAcmeProvider();
        }
        SSLContext context = trusting(trustFile.get());
        return new GenericAcmeProvider() {
            @Override
            protected HttpConnector createHttpConnector(NetworkSettings settings) {
                return new HttpConnector(settings) {
                    @Override
                    public java.net.http.HttpClient.Builder createClientBuilder() {
                        return super.createClientBuilder().sslContext(context);
                    }
                };
            }
        };
    }

    /** An SSL context that trusts the JVM's CAs and those of {@code pem}. */
    static SSLContext trusting(Path pem) throws IOException, GeneralSecurityException {
        KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
        keys.load(null, null);
        TrustManagerFactory jvm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        jvm.init((KeyStore) null);
        int n = 0;
        for (var manager : jvm.getTrustManagers()) {
            if (manager instanceof X509TrustManager x509) {
                for (var ca : x509.getAcceptedIssuers()) {
                    keys.setCertificateEntry("jvm-" + n++, ca);
                }
            }
        }
        try (InputStream in = Files.newInputStream(pem)) {
            for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                keys.setCertificateEntry("file-" + n++, ca);
            }
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(keys);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }
}
