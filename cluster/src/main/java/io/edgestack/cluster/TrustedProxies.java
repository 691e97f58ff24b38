package io.edgestack.cluster;

import java.util.List;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

/**
 * Peers whose forwarding headers are believed, as addresses or CIDR blocks (IPv4 and IPv6).
 */
public final class TrustedProxies {

    private final IpBlocks blocks;

    private TrustedProxies(IpBlocks blocks) {
        this.blocks = blocks;
    }

    /**
     * Parses entries like {@code 10.0.0.0/8}, {@code ::1} or {@code 192.168.1.10}; the error names {@code key} and the bad
     * entry.
     */
    public static TrustedProxies parse(String key, List<String> entries) {
        try {
            return new TrustedProxies(IpBlocks.parse(entries));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage());
        }
    }

    /** The last address asked about and the answer: most requests come from the one peer in front (the tunnel). */
    private record Verdict(String address, boolean trusted) {
    }

    private volatile Verdict last;

    public boolean trusts(SocketAddress peer) {
        return peer != null && trusts(peer.hostAddress());
    }

    /** Whether the peer at this address literal (as {@link SocketAddress#hostAddress()} gives it) is trusted. */
    public boolean trusts(String address) {
        if (address == null || blocks.isEmpty()) {
            return false;
        }
        Verdict seen = last;
        if (seen != null && seen.address().equals(address)) {
            return seen.trusted();
        }
        boolean trusted = blocks.contains(address);
        last = new Verdict(address, trusted);
        return trusted;
    }

    /**
     * The visitor's address: the peer's own, or, when the peer is a trusted proxy (the tunnel's connector, a load
     * balancer), the right-most address of its {@code X-Forwarded-For} that is not a trusted proxy itself (the left-most
     * when all are). An entry that is not an address literal is returned as it is, and matches no block.
     */
    public String client(HttpServerRequest request) {
        SocketAddress remote = request.remoteAddress();
        String address = remote == null ? null : remote.hostAddress();
        if (!trusts(address)) {
            return address;
        }
        String forwarded = request.getHeader("X-Forwarded-For");
        if (forwarded == null) {
            return address;
        }
        String[] hops = forwarded.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (hop.isEmpty()) {
                continue;
            }
            address = hop;
            if (!blocks.contains(hop)) {
                return hop;
            }
        }
        return address;
    }
}
