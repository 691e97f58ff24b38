package io.edgestack.cluster;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/**
 * Says at start which transport the service's sockets go through. Vert.x falls back to Java NIO in silence when
 * Netty's epoll library cannot load (another architecture, a C library it was not built for, a {@code /tmp} it
 * cannot unpack into); the fallback costs CPU on every request, so it is a warning with the reason.
 */
@Singleton
public class SocketTransport {

    static final String PREFER = "quarkus.vertx.prefer-native-transport";
    private static final Logger LOG = Logger.getLogger(SocketTransport.class);

    void started(@Observes StartupEvent event, Vertx vertx) {
        boolean preferred = ConfigProvider.getConfig().getOptionalValue(PREFER, Boolean.class).orElse(false);
        String line = describe(preferred, vertx.isNativeTransportEnabled(), vertx.unavailableNativeTransportCause());
        if (preferred && !vertx.isNativeTransportEnabled()) {
            LOG.warn(line);
        } else {
            LOG.info(line);
        }
    }

    /** The start-up line for the transport in use. */
    static String describe(boolean preferred, boolean nativeInUse, Throwable cause) {
        if (nativeInUse) {
            return "Sockets through Netty's epoll transport";
        }
        if (!preferred) {
            return "Sockets through Java NIO (" + PREFER + "=false)";
        }
        String why = cause == null ? "none found"
                : cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return "Sockets through Java NIO: Netty's epoll transport is unavailable (" + why + "); requests cost more CPU."
                + " It needs Linux on x86_64 with glibc and an executable, writable java.io.tmpdir";
    }
}
