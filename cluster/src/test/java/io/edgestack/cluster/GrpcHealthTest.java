package io.edgestack.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.vertx.core.buffer.Buffer;

class GrpcHealthTest {

    @Test
    void writesTheRequestAsProtobufInAGrpcMessage() {
        assertEquals(Buffer.buffer(new byte[] {0, 0, 0, 0, 0}), GrpcHealth.request(""), "the server as a whole: an empty message");
        Buffer orders = GrpcHealth.request("orders");
        assertEquals(Buffer.buffer(new byte[] {0, 0, 0, 0, 8, 0x0a, 6, 'o', 'r', 'd', 'e', 'r', 's'}), orders);
        String longName = "s".repeat(200); // a length of two varint bytes
        Buffer named = GrpcHealth.request(longName);
        assertEquals((byte) 0xc8, named.getByte(6));
        assertEquals((byte) 0x01, named.getByte(7));
        assertEquals(5 + 3 + 200, named.length());
    }

    @Test
    void readsTheServingStatusWhereverProtobufPutsIt() {
        assertEquals(1, GrpcHealth.servingStatus(GrpcHealth.frame(Buffer.buffer(new byte[] {0x08, 0x01}))));
        // an unknown field before the status (a newer server's), and a message that leaves the status out (UNKNOWN)
        assertEquals(2, GrpcHealth.servingStatus(GrpcHealth.frame(Buffer.buffer(new byte[] {0x12, 0x02, 'h', 'i', 0x08, 0x02}))));
        assertEquals(0, GrpcHealth.servingStatus(GrpcHealth.frame(Buffer.buffer())));
        assertEquals("NOT_SERVING", GrpcHealth.statusName(2));
        assertEquals("UNIMPLEMENTED", GrpcHealth.codeName("12"));
        assertEquals("code 99", GrpcHealth.codeName("99"));
    }

    @Test
    void refusesWhatIsNotOneHealthCheckResponse() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GrpcHealth.servingStatus(Buffer.buffer("<html>")))
                .getMessage().contains("compressed"), "an HTML page: its first byte is no gRPC flag");
        assertThrows(IllegalArgumentException.class, () -> GrpcHealth.servingStatus(Buffer.buffer(new byte[] {0, 0, 0})));
        assertThrows(IllegalArgumentException.class, () -> GrpcHealth.servingStatus(
                Buffer.buffer(new byte[] {1, 0, 0, 0, 2, 0x08, 0x01})), "compressed");
        assertThrows(IllegalArgumentException.class, () -> GrpcHealth.servingStatus(
                Buffer.buffer(new byte[] {0, 0, 0, 0, 9, 0x08, 0x01})), "a length that is not the body's");
        assertThrows(IllegalArgumentException.class, () -> GrpcHealth.servingStatus(
                GrpcHealth.frame(Buffer.buffer(new byte[] {0x12, 0x7f, 'x'}))), "a field that runs past the end");
    }
}
