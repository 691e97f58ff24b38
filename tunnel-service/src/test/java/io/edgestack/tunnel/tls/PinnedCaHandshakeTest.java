package io.edgestack.tunnel.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgestack.cluster.TlsWarmup;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

/**
 * The pinned-CA trust of a connector in a real handshake (the start-up warm-up's loop, in memory): an edge certificate
 * of the pinned CA is accepted, one of another CA refused with the reason.
 */
class PinnedCaHandshakeTest {

    @Test
    void anEdgeOfThePinnedCaIsAccepted(@TempDir Path dir) throws Exception {
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
