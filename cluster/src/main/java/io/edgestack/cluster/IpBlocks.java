package io.edgestack.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import io.netty.util.NetUtil;

/** A list of IP addresses and CIDR blocks, IPv4 and IPv6 ({@code 10.0.0.0/8}, {@code ::1}, {@code 192.168.1.10}). */
public final class IpBlocks {

    public static final IpBlocks NONE = new IpBlocks(List.of());

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

    private IpBlocks(List<Block> blocks) {
        this.blocks = blocks;
    }

    /**
     * Parses address literals and CIDR blocks; blank entries are skipped.
     *
     * @throws IllegalArgumentException "'x' is not an IP address or CIDR block", for the first entry that is not
     */
    public static IpBlocks parse(List<String> entries) {
        List<Block> blocks = new ArrayList<>();
        for (String entry : entries) {
            String text = entry.trim();
            if (text.isEmpty()) {
                continue;
            }
            int slash = text.indexOf('/');
            String host = slash < 0 ? text : text.substring(0, slash);
            if (!host.matches("[0-9a-fA-F:.]+")) { // never a name: InetAddress would resolve it
                throw notABlock(text);
            }
            try {
                byte[] address = InetAddress.getByName(host).getAddress();
                int bits = slash < 0 ? address.length * 8 : Integer.parseInt(text.substring(slash + 1));
                if (bits < 0 || bits > address.length * 8) {
                    throw notABlock(text);
                }
                blocks.add(new Block(address, bits));
            } catch (UnknownHostException | NumberFormatException e) {
                throw notABlock(text);
            }
        }
        return new IpBlocks(List.copyOf(blocks));
    }

    private static IllegalArgumentException notABlock(String text) {
        return new IllegalArgumentException("'" + text + "' is not an IP address or CIDR block");
    }

    public boolean isEmpty() {
        return blocks.isEmpty();
    }

    /** Whether an address (4 or 16 bytes) is in one of the blocks. */
    public boolean contains(byte[] address) {
        for (Block block : blocks) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /** Whether an address literal is in one of the blocks; false for what is not a literal (parsed without a resolver). */
    public boolean contains(String literal) {
        byte[] bytes = literal == null ? null : NetUtil.createByteArrayFromIpAddressString(literal);
        return bytes != null && contains(bytes);
    }
}
