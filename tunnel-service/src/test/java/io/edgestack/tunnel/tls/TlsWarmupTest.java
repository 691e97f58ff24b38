package io.edgestack.tunnel.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.vertx.core.Vertx;

/**
 * The start-up handshake in memory: it goes to its end with the pinned-CA trust the connector uses, and the same loop
 * refuses a server whose CA is not the pinned one (so it is a real handshake, not a loop that ends anyway).
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
    void theLoopExchangesDataOverTheNegotiatedSession(@TempDir Path dir) throws Exception {
        PrivateCa ca = PrivateCa.loadOrCreate(dir);
        SSLEngine[] engines = engines(ca, ca.fingerprint());
        TlsWarmup.shakeHands(engines[0], engines[1]);
        assertTrue(engines[0].getSession().getProtocol().startsWith("TLSv1."), engines[0].getSession().getProtocol());
        assertEquals(engines[0].getSession().getCipherSuite(), engines[1].getSession().getCipherSuite());
    }

    @Test
    void aServerOfAnotherCaIsRefusedByThePinnedTrust(@TempDir Path dir) throws Exception {
        PrivateCa ca = PrivateCa.loadOrCreate(dir.resolve("one"));
        SSLEngine[] engines = engines(ca, PrivateCa.loadOrCreate(dir.resolve("other")).fingerprint());
        SSLException refused = assertThrows(SSLException.class, () -> TlsWarmup.shakeHands(engines[0], engines[1]));
        assertTrue(String.valueOf(refused.getMessage()).contains("not signed by the tunnel CA"), refused.toString());
    }

    private static SSLEngine[] engines(PrivateCa ca, String pin) throws Exception {
        PrivateCa.Listener listener = ca.listener(List.of("localhost"));
        SSLEngine server = SslContextBuilder.forServer(
                new ByteArrayInputStream(listener.chainPem().getBytes(StandardCharsets.US_ASCII)),
                new ByteArrayInputStream(listener.keyPem().getBytes(StandardCharsets.US_ASCII)))
                .sslProvider(SslProvider.JDK).build().newEngine(ByteBufAllocator.DEFAULT);
        SSLEngine client = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(new PinnedCaTrustManager(pin)).build()
                .newEngine(ByteBufAllocator.DEFAULT, "localhost", 443);
        return new SSLEngine[] {client, server};
    }
}
