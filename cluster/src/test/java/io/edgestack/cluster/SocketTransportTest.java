package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SocketTransportTest {

    @Test
    void namesTheTransportInUse() {
        assertEquals("Sockets through Netty's epoll transport", SocketTransport.describe(true, true, null));
        assertEquals("Sockets through Java NIO (quarkus.vertx.prefer-native-transport=false)",
                SocketTransport.describe(false, false, null));
    }

    @Test
    void aFallbackToNioSaysWhy() {
        String line = SocketTransport.describe(true, false, new UnsatisfiedLinkError("no netty_transport_native_epoll_aarch_64"));
        assertTrue(line.startsWith("Sockets through Java NIO: Netty's epoll transport is unavailable"), line);
        assertTrue(line.contains("UnsatisfiedLinkError: no netty_transport_native_epoll_aarch_64"), line);
        assertTrue(SocketTransport.describe(true, false, null).contains("(none found)"));
    }
}
