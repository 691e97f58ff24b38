package io.edgestack.tunnel.connector;

/**
 * An edge connector listener address, {@code host:port} (IPv6 hosts in brackets).
 */
public record EdgeAddress(String host, int port) {

    public static EdgeAddress parse(String text) {
        String value = text == null ? "" : text.trim();
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException(
                    "edgestack.tunnel.connector.edge-addresses: '" + text + "' is not host:port (example: 127.0.0.1:7844)");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(
                    "edgestack.tunnel.connector.edge-addresses: '" + text + "' has no valid port (1-65535)");
        }
        return new EdgeAddress(host, port);
    }
}
