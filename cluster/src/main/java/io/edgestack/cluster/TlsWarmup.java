package io.edgestack.cluster;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

import org.jboss.logging.Logger;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;

/**
 * One TLS handshake in memory at start, between a client and a server built the way Vert.x builds them (its JDK SSL
 * context factory, an EC P-256 certificate signed by a CA, the JDK's PKIX trust in that CA).
 *
 * <p>Vert.x makes a client's SSL context on the event loop, at its first connection, and the first handshake of a JVM
 * loads and initialises the whole of the JDK's TLS and crypto code there too. Cold, on a container's one CPU shared with
 * the JVM's own compilers, that held a tunnel connector's event loop for more than two seconds at start (a "Thread
 * blocked" warning, every connection of that loop waiting; a monitor's first HTTPS check would measure it as response
 * time). A service that will speak TLS runs this first, on the thread that starts it, so that the work is done before
 * any event loop needs it. The key and certificates are resources of this package and no secret: nothing but this
 * warm-up trusts them. Making them at start instead would add key generation and signing to every start.
 */
public final class TlsWarmup {

    private static final Logger LOG = Logger.getLogger(TlsWarmup.class);
    private static volatile boolean done;

    private TlsWarmup() {
    }

    /**
     * Shakes hands once in memory, the first time it is called off an event loop (later calls, and calls on an event
     * loop, which this is meant to spare, do nothing); false when it has not been done, a failure being logged and
     * changing nothing else (the first real handshake pays instead).
     */
    public static synchronized boolean run(Vertx vertx) {
        if (done || Context.isOnEventLoopThread()) {
            return done;
        }
        long started = System.nanoTime();
        try {
            Buffer chain = resource("warmup-chain.pem");
            SslContext server = new JdkSSLEngineOptions().sslContextFactory().forClient(false).useAlpn(false)
                    .keyMananagerFactory(new PemKeyCertOptions().setCertValue(chain)
                            .setKeyValue(resource("warmup-key.pem")).getKeyManagerFactory(vertx))
                    .create();
            SslContext client = new JdkSSLEngineOptions().sslContextFactory().forClient(true).useAlpn(false)
                    .trustManagerFactory(trusting(chain)).create();
            SSLEngine clientEngine = client.newEngine(ByteBufAllocator.DEFAULT, "localhost", 443);
            SSLEngine serverEngine = server.newEngine(ByteBufAllocator.DEFAULT);
            shakeHands(clientEngine, serverEngine);
            client.newHandler(ByteBufAllocator.DEFAULT); // the classes of Netty's TLS handler, loaded once
            LOG.debugf("TLS warmed up in %d ms", (System.nanoTime() - started) / 1_000_000);
            done = true;
            return true;
        } catch (Exception | LinkageError e) {
            LOG.infof("TLS warm-up failed (the first handshake will be slower): %s", e);
            return false;
        }
    }

    /** The JDK's PKIX trust in the last certificate of a PEM chain (its CA) and nothing else. */
    static TrustManagerFactory trusting(Buffer chain) throws GeneralSecurityException, IOException {
        List<Certificate> certificates = new ArrayList<>(CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(chain.getBytes())));
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("ca", certificates.get(certificates.size() - 1));
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory;
    }

    public static Buffer resource(String name) throws IOException {
        try (InputStream in = TlsWarmup.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException(name + " is not in the package");
            }
            return Buffer.buffer(in.readAllBytes());
        }
    }

    /** Runs the handshake between the two engines to its end, then exchanges one record each way. */
    public static void shakeHands(SSLEngine client, SSLEngine server) throws SSLException, IOException {
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
