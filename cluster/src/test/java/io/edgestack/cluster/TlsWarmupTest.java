package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.vertx.core.Vertx;

/**
 * The start-up handshake in memory: it goes to its end, over a session both sides agree on, and the same loop fails on
 * a client that does not trust the server's CA (so it is a real handshake, not a loop that ends anyway).
 */
class TlsWarmupTest {

    private static Vertx vertx;

    @BeforeAll
    static void vertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void aHandshakeInMemoryGoesToItsEnd() {
        assertTrue(TlsWarmup.run(vertx));
    }

    @Test
    void theBundledChainEndsInItsCaAndOutlivesThisCentury() throws Exception {
        Collection<? extends Certificate> chain = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(TlsWarmup.resource("warmup-chain.pem").getBytes()));
        assertEquals(2, chain.size());
        for (Certificate c : chain) {
            ((X509Certificate) c).checkValidity(Date.from(Instant.parse("2099-12-31T00:00:00Z")));
        }
    }

    @Test
    void theLoopExchangesDataOverTheNegotiatedSession() throws Exception {
        SSLEngine[] engines = engines(TlsWarmup.trusting(TlsWarmup.resource("warmup-chain.pem")));
        TlsWarmup.shakeHands(engines[0], engines[1]);
        assertTrue(engines[0].getSession().getProtocol().startsWith("TLSv1."), engines[0].getSession().getProtocol());
        assertEquals(engines[0].getSession().getCipherSuite(), engines[1].getSession().getCipherSuite());
    }

    @Test
    void aClientThatDoesNotTrustTheCaFailsTheHandshake() throws Exception {
        TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        system.init((KeyStore) null); // the JDK's public CAs, none of which signed the bundled chain
        SSLEngine[] engines = engines(system);
        assertThrows(SSLHandshakeException.class, () -> TlsWarmup.shakeHands(engines[0], engines[1]));
    }

    private static SSLEngine[] engines(TrustManagerFactory trust) throws Exception {
        SSLEngine server = SslContextBuilder.forServer(
                new ByteArrayInputStream(TlsWarmup.resource("warmup-chain.pem").getBytes()),
                new ByteArrayInputStream(TlsWarmup.resource("warmup-key.pem").getBytes()))
                .sslProvider(SslProvider.JDK).build().newEngine(ByteBufAllocator.DEFAULT);
        SSLEngine client = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(trust).build()
                .newEngine(ByteBufAllocator.DEFAULT, "localhost", 443);
        return new SSLEngine[] {client, server};
    }
}
