package io.edgestack.cluster;

import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;

/**
 * The headers that belong to one connection and that a proxy must not pass on to the next (RFC 9110 §7.6.1):
 * {@code Connection}, every header it names, and {@code Keep-Alive}, {@code Proxy-Connection} and {@code Upgrade}.
 * {@code Transfer-Encoding} (and {@code TE} on requests) are left to the HTTP layer, which frames each side's body
 * itself.
 */
public final class HopByHop {

    private static final AsciiString CONNECTION = AsciiString.cached("Connection");
    private static final AsciiString KEEP_ALIVE = AsciiString.cached("Keep-Alive");
    private static final AsciiString PROXY_CONNECTION = AsciiString.cached("Proxy-Connection");
    private static final AsciiString UPGRADE = AsciiString.cached("Upgrade");

    private HopByHop() {
    }

    /**
     * Removes from {@code headers} the connection's own headers, given the {@code Connection} header that arrived
     * with them ({@code null} if none; it may already have been taken out of {@code headers}).
     */
    public static void strip(MultiMap headers, String connection) {
        if (connection != null) {
            int from = 0;
            while (from <= connection.length()) { // each comma-separated name (usually one: keep-alive or close)
                int comma = connection.indexOf(',', from);
                int to = comma < 0 ? connection.length() : comma;
                String name = connection.substring(from, to).trim();
                if (!name.isEmpty() && !KEEP_ALIVE.contentEqualsIgnoreCase(name)) { // Keep-Alive goes below anyway
                    headers.remove(name);
                }
                from = to + 1;
            }
            headers.remove(CONNECTION);
        }
        headers.remove(KEEP_ALIVE);
        headers.remove(PROXY_CONNECTION);
        headers.remove(UPGRADE);
    }

    /** {@link #strip(MultiMap, String)} with the {@code Connection} header found in {@code headers}. */
    public static void strip(MultiMap headers) {
        String connection = headers.get(CONNECTION);
        strip(headers, connection);
    }
}
