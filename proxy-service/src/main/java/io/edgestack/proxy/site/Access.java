package io.edgestack.proxy.site;

import java.util.Map;
import java.util.regex.Pattern;

import io.edgestack.cluster.IpBlocks;

/**
 * Who may use a site or one of its routes, as Caddy's {@code remote_ip} matchers and {@code basic_auth} do it: client
 * addresses allowed ({@code allow}: only those) and denied ({@code deny}: never those, whatever {@code allow} says),
 * and HTTP basic authentication against bcrypt hashes ({@code htpasswd -nbB}, {@code caddy hash-password}). The client
 * address is the visitor's, read through the trusted proxies' {@code X-Forwarded-For} (the tunnel's connector). Or,
 * after the addresses, another service decides ({@link ForwardAuth}, null when none), as Caddy's {@code forward_auth}.
 */
public record Access(IpBlocks allow, IpBlocks deny, String realm, Map<String, String> users, ForwardAuth forwardAuth) {

    /** No restriction: a route's {@code access: {}} opens what its site's access closes. */
    public static final Access OPEN = new Access(IpBlocks.NONE, IpBlocks.NONE, null, Map.of(), null);

    /** A bcrypt hash in the modular crypt format ({@code $2a$}, {@code $2b$} or {@code $2y$}, cost 04-31). */
    public static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");

    public Access {
        users = Map.copyOf(users);
    }

    public boolean isOpen() {
        return allow.isEmpty() && deny.isEmpty() && users.isEmpty() && forwardAuth == null;
    }

    /** Whether a client address (a literal; null when unknown) passes {@code allow} and {@code deny}. */
    public boolean admits(String client) {
        if (!deny.isEmpty() && deny.contains(client)) {
            return false;
        }
        return allow.isEmpty() || allow.contains(client);
    }

    public boolean asksPassword() {
        return !users.isEmpty();
    }
}
