package io.edgestack.proxy.upstream;

import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.net.SocketAddress;

/**
 * One upstream server of a pool, with its live state: connections in flight, active health, passive failures.
 */
public final class Upstream {

    private final String url;
    private final String host;
    private final int port;
    private final boolean ssl;
    private final SocketAddress address;
    private final AtomicInteger active = new AtomicInteger();
    private final PassiveHealth passive;
    private volatile boolean activeHealthy = true;
    private int consecutiveOk;
    private int consecutiveFailed;

    public Upstream(String url, String host, int port, boolean ssl, PassiveHealth passive) {
        this.url = url;
        this.host = host;
        this.port = port;
        this.ssl = ssl;
        this.address = SocketAddress.inetSocketAddress(port, host);
        this.passive = passive;
    }

    public String url() {
        return url;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public boolean ssl() {
        return ssl;
    }

    public SocketAddress address() {
        return address;
    }

    public int active() {
        return active.get();
    }

    void begin() {
        active.incrementAndGet();
    }

    public void release() {
        active.decrementAndGet();
    }

    public PassiveHealth passive() {
        return passive;
    }

    /** Usable: passes active checks and is not benched by passive ones. */
    public boolean available() {
        return activeHealthy && passive.available();
    }

    public boolean activeHealthy() {
        return activeHealthy;
    }

    /** Records an active check result; returns true when the state changed. */
    synchronized boolean recordCheck(boolean ok, int healthyAfter, int unhealthyAfter) {
        if (ok) {
            consecutiveFailed = 0;
            consecutiveOk++;
            if (!activeHealthy && consecutiveOk >= healthyAfter) {
                activeHealthy = true;
                return true;
            }
        } else {
            consecutiveOk = 0;
            consecutiveFailed++;
            if (activeHealthy && consecutiveFailed >= unhealthyAfter) {
                activeHealthy = false;
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return url;
    }
}
