package io.edgestack.tunnel;

import java.util.Properties;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Starts tunnel-service after setting what Netty reads once, when its allocator is first used, and Quarkus has no key
 * for: each event loop keeps freed buffers of up to {@value #CACHED_BUFFER_CAPACITY} bytes for its next reads and
 * frames. Netty's default keeps those of up to 32 KiB, so a tunnel frame (up to 64 KiB) and a socket read of 64 KiB went
 * back to the shared pool each time, and when traffic was light (one large download) the pool let its chunk go and
 * allocated a new, zeroed one for the next piece: 5-8 % of the edge's CPU. A value given on the command line wins.
 */
@QuarkusMain
public final class TunnelMain {

    static final String CACHED_BUFFER_CAPACITY_KEY = "io.netty.allocator.maxCachedBufferCapacity";
    static final int CACHED_BUFFER_CAPACITY = 128 * 1024;

    private TunnelMain() {
    }

    public static void main(String... args) {
        nettyDefaults(System.getProperties());
        Quarkus.run(args);
    }

    static void nettyDefaults(Properties properties) {
        properties.putIfAbsent(CACHED_BUFFER_CAPACITY_KEY, Integer.toString(CACHED_BUFFER_CAPACITY));
    }
}
