package io.edgestack.tunnel.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

import org.jboss.logging.Logger;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;

/**
 * One TLS handshake in memory at start, between a client and a server built the way Vert.x builds the tunnel's
 * (its JDK SSL context factory, an EC P-256 certificate signed by a CA, {@link PinnedCaTrustManager} pinning that CA).
 * The key and certificates are resources of this package and no secret: nothing but this warm-up trusts them. Making
 * them at start instead would add Bouncy Castle's provider, key generation and signing to every start (seconds on one
 * busy CPU), for a handshake whose only purpose is to load code.
 *
 * <p>Vert.x makes a client's SSL context on the event loop, at the first connection, and the first handshake of a JVM
 * loads and initialises the whole of the JDK's TLS and crypto code there too. Cold, on a container's one CPU shared with
 * the JVM's own compilers, that held a connector's event loop for more than two seconds at start (a "Thread blocked"
 * warning, and every connection of that loop waiting). Run here first, on the thread that starts the service, that
 * work is done before any event loop needs it.
 */
public final class TlsWarmup {

    private static final Logger LOG = Logger.getLogger(TlsWarmup.class);

    private TlsWarmup() {
    }

    /**
     * Shakes hands once in memory; false when that failed, which is logged and changes nothing else (the first real
     * handshake pays instead).
     */
    public static boolean run(Vertx vertx) {
        long started = System.nanoTime();
        try {
            Buffer chain = resource("warmup-chain.pem");
            SslContext server = new JdkSSLEngineOptions().sslContextFactory().forClient(false).useAlpn(false)
                    .keyMananagerFactory(new PemKeyCertOptions().setCertValue(chain)
                            .setKeyValue(resource("warmup-key.pem")).getKeyManagerFactory(vertx))
                    .create();
            SslContext client = new JdkSSLEngineOptions().sslContextFactory().forClient(true).useAlpn(false)
                    .trustManagerFactory(TrustOptions.wrap(new PinnedCaTrustManager(caPin(chain)))
                            .getTrustManagerFactory(vertx))
                    .create();
            SSLEngine clientEngine = client.newEngine(ByteBufAllocator.DEFAULT, "localhost", 443);
            SSLEngine serverEngine = server.newEngine(ByteBufAllocator.DEFAULT);
            shakeHands(clientEngine, serverEngine);
            client.newHandler(ByteBufAllocator.DEFAULT); // the classes of Netty's TLS handler, loaded once
            LOG.debugf("TLS warmed up in %d ms", (System.nanoTime() - started) / 1_000_000);
            return true;
        } catch (Exception | LinkageError e) {
            LOG.infof("TLS warm-up failed (the first handshake will be slower): %s", e);
            return false;
        }
    }

    /** The fingerprint of the last certificate of a PEM chain: its CA. */
    static String caPin(Buffer chain) throws GeneralSecurityException {
        List<X509Certificate> certificates = new ArrayList<>();
        for (Certificate c : CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(chain.getBytes()))) {
            certificates.add((X509Certificate) c);
        }
        return PinnedCaTrustManager.fingerprint(certificates.get(certificates.size() - 1));
    }

    static Buffer resource(String name) throws IOException {
        try (InputStream in = TlsWarmup.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException(name + " is not in the package");
            }
            return Buffer.buffer(in.readAllBytes());
        }
    }

    /** Runs the handshake between the two engines to its end, then exchanges one record each way. */
    static void shakeHands(SSLEngine client, SSLEngine server) throws SSLException, IOException {
        ByteBuffer toServer = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
        ByteBuffer toClient = ByteBuffer.allocate(server.getSession().getPacketBufferSize());
        ByteBuffer clientIn = ByteBuffer.allocate(client.getSession().getApplicationBufferSize() + 64);
        ByteBuffer serverIn = ByteBuffer.allocate(server.getSession().getApplicationBufferSize() + 64);
        ByteBuffer hello = ByteBuffer.wrap(new byte[] {'h', 'i'});
        ByteBuffer reply = ByteBuffer.wrap(new byte[] {'o', 'k'});
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 64; round++) {
            step(client.wrap(hello, toServer), client);
            step(server.wrap(reply, toClient), server);
            toServer.flip();
            toClient.flip();
            step(server.unwrap(toServer, serverIn), server);
            step(client.unwrap(toClient, clientIn), client);
            toServer.compact();
            toClient.compact();
            if (serverIn.position() >= 2 && clientIn.position() >= 2) {
                return;
            }
        }
        throw new IOException("the in-memory handshake did not finish");
    }

    private static void step(SSLEngineResult result, SSLEngine engine) {
        if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
            for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
                task.run();
            }
        }
    }
}
