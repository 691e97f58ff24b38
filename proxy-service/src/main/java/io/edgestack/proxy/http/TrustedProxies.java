package io.edgestack.proxy.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import io.netty.util.NetUtil;
import io.vertx.core.net.SocketAddress;

/**
 * Peers whose forwarding headers are believed, as addresses or CIDR blocks (IPv4 and IPv6).
 */
public final class TrustedProxies {

    private record Block(byte[] network, int bits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int full = bits / 8;
            for (int i = 0; i < full; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[full] & mask) == (network[full] & mask);
        }
    }

    private final List<Block> blocks;

    private TrustedProxies(List<Block> blocks) {
        this.blocks = blocks;
    }

    /** Parses entries like {@code 10.0.0.0/8}, {@code ::1} or {@code 192.168.1.10}; the error names the bad entry. */
    public static TrustedProxies parse(List<String> entries) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : entries) {
            String text = entry.trim();
            if (text.isEmpty()) {
                continue;
            }
            int slash = text.indexOf('/');
            String host = slash < 0 ? text : text.substring(0, slash);
            if (!host.matches("[0-9a-fA-F:.]+")) {
                throw new IllegalArgumentException("edgestack.proxy.trusted-proxies: '" + text + "' is not an IP address or CIDR block");
            }
            try {
                byte[] address = InetAddress.getByName(host).getAddress();
                int bits = slash < 0 ? address.length * 8 : Integer.parseInt(text.substring(slash + 1));
                if (bits < 0 || bits > address.length * 8) {
                    throw new NumberFormatException();
                }
                blocks.add(new Block(address, bits));
            } catch (UnknownHostException | NumberFormatException e) {
                throw new IllegalArgumentException("edgestack.proxy.trusted-proxies: '" + text + "' is not an IP address or CIDR block");
            }
        }
        return new TrustedProxies(List.copyOf(blocks));
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
        // An address literal, parsed without a regular expression or a resolver (null when it is not one).
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
        boolean trusted = bytes != null && contains(bytes);
        last = new Verdict(address, trusted);
        return trusted;
    }

    private boolean contains(byte[] address) {
        for (Block block : blocks) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
