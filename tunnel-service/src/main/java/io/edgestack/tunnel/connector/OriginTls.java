package io.edgestack.tunnel.connector;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import io.edgestack.tunnel.config.TunnelConfig;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * How the connector speaks TLS to an {@code https://} origin, as cloudflared's {@code originRequest}: the JVM's trust
 * and the URL's host name by default; {@code noVerify} accepts any certificate (a local service's self-signed one),
 * {@code caPool} trusts the CAs of a PEM file instead of the JVM's, {@code serverName} is the name asked for (SNI) and
 * checked in the certificate in place of the URL's host (an origin reached by address, {@code https://127.0.0.1:8443}).
 * Rules with the same settings share one client.
 */
public record OriginTls(boolean noVerify, String serverName, String caPool) {

    public static final OriginTls DEFAULT = new OriginTls(false, null, null);

    /** A rule's settings over the connector's, each read and checked now (a missing CA file names its key). */
    static OriginTls of(TunnelConfig.OriginRequest rule, String ruleKey, TunnelConfig.OriginRequest defaults,
            String defaultsKey) {
        boolean noVerify = rule.noTlsVerify().or(defaults::noTlsVerify).orElse(false);
        String serverName = pick(rule.originServerName(), defaults.originServerName());
        if (serverName != null && !serverName.matches("[A-Za-z0-9.-]+")) {
            throw new IllegalArgumentException(keyOf(rule.originServerName(), ruleKey, defaultsKey, "origin-server-name")
                    + ": '" + serverName + "' is not a host name");
        }
        String caPool = pick(rule.caPool(), defaults.caPool());
        if (caPool != null) {
            String key = keyOf(rule.caPool(), ruleKey, defaultsKey, "ca-pool");
            if (!Files.isReadable(Path.of(caPool))) {
                throw new IllegalArgumentException(key + ": " + caPool + " is not a readable file (PEM CA certificates)");
            }
            try {
                String text = Files.readString(Path.of(caPool));
                if (!text.contains("-----BEGIN CERTIFICATE-----")) {
                    throw new IllegalArgumentException(key + ": " + caPool + " holds no PEM certificate");
                }
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException(key + ": " + caPool + " cannot be read: " + e.getMessage());
            }
            if (noVerify) {
                throw new IllegalArgumentException(key + ": no-tls-verify is also set, which would ignore it: keep one");
            }
        }
        return new OriginTls(noVerify, serverName, caPool);
    }

    /** A rule's own setting when it has one (not blank), else the connector's; trimmed; null for neither. */
    static String pick(Optional<String> own, Optional<String> fallback) {
        return own.filter(v -> !v.isBlank()).or(() -> fallback.filter(v -> !v.isBlank())).map(String::trim).orElse(null);
    }

    /** The key a setting came from: the rule's when it has its own, else the connector's. */
    static String keyOf(Optional<String> own, String ruleKey, String defaultsKey, String name) {
        return (own.filter(v -> !v.isBlank()).isPresent() ? ruleKey : defaultsKey) + "." + name;
    }

    /** The client options of this profile, over the connector's own origin options. */
    HttpClientOptions apply(HttpClientOptions options) {
        if (noVerify) {
            options.setTrustAll(true).setVerifyHost(false);
        } else if (caPool != null) {
            options.setTrustOptions(new PemTrustOptions().addCertPath(caPool));
        }
        return options;
    }
}
