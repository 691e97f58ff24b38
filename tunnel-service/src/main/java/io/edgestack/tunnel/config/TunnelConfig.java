package io.edgestack.tunnel.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * tunnel-service configuration, under {@code edgestack.tunnel}. One binary, two roles chosen by {@link #mode()}.
 * Secrets (token secrets, the connector token, the admin token) are best given as environment variables:
 * {@code EDGESTACK_TUNNEL_EDGE_TOKEN_SECRETS}, {@code EDGESTACK_TUNNEL_CONNECTOR_TOKEN},
 * {@code EDGESTACK_TUNNEL_ADMIN_TOKEN}. They are never logged.
 */
@ConfigMapping(prefix = "edgestack.tunnel")
public interface TunnelConfig {

    /** {@code edge} takes public traffic and connector sessions; {@code connector} dials an edge from behind NAT. */
    @WithDefault("edge")
    Mode mode();

    /** Bearer token of the edge's admin API on the management port (tunnel state, token issuing); off while unset. */
    Optional<String> adminToken();

    /** Settings used in edge mode. */
    Edge edge();

    /** Settings used in connector mode. */
    Connector connector();

    enum Mode {
        EDGE,
        CONNECTOR
    }

    interface Edge {
        /**
         * Time a visitor has to send a request's head on the edge's public HTTP port ({@code quarkus.http.port}), as
         * nginx's {@code client_header_timeout}: from the accept for a connection's first request, from its first byte
         * for a later one; past it the connection is closed (a slowloris client would otherwise hold it). {@code 0s}
         * turns it off. The HTTPS listener has its own ({@code edgestack.tunnel.edge.tls.request-head-timeout}).
         */
        @WithDefault("60s")
        Duration requestHeadTimeout();

        /**
         * Peers in front of the edge (a load balancer, an ingress controller) whose {@code X-Forwarded-For} and
         * {@code X-Forwarded-Proto} are believed: addresses or CIDR blocks. None by default: the edge is what visitors
         * reach, and a visitor's own forwarding headers are replaced.
         */
        Optional<List<String>> trustedProxies();

        /** Address the connector listener binds to. */
        @WithDefault("0.0.0.0")
        String connectorHost();

        /** Port connectors dial (the cloudflared default is 7844 too). */
        @WithDefault("7844")
        int connectorPort();

        /** PEM certificate chain for TLS on the connector listener; plain WebSocket while unset (loopback). */
        Optional<String> tlsCertFile();

        /** PEM private key matching {@link #tlsCertFile()}. */
        Optional<String> tlsKeyFile();

        /**
         * TLS on the connector listener with a CA this edge makes on first start (when no {@link #tlsCertFile()} is
         * given): the tokens it issues carry the CA's fingerprint and connectors accept no other edge certificate.
         */
        @WithDefault("false")
        boolean privateCa();

        /** Folder of that CA's certificate and key (owner-only; keep it: a new CA invalidates the tokens issued). */
        @WithDefault("data/tunnel-ca")
        java.nio.file.Path privateCaDir();

        /**
         * Secrets that sign and verify connector tokens, at least 32 characters each. The first signs new tokens; all
         * verify, so a secret is rotated by putting the new one first and removing the old one later.
         */
        Optional<List<String>> tokenSecrets();

        /** Validity of tokens issued without an explicit ttl. */
        @WithDefault("8760h")
        Duration tokenTtl();

        /** Tunnels this edge serves, by id: the host names each one answers for. */
        Map<String, Tunnel> tunnels();

        /** Heartbeat interval on connector connections. */
        @WithDefault("5s")
        Duration heartbeatInterval();

        /** Heartbeats missed before a connection is declared dead. */
        @WithDefault("3")
        int heartbeatMisses();

        /** Streams in flight on one connector connection; more are spread to others or refused. */
        @WithDefault("1000")
        int maxStreamsPerConnection();

        /** Time a connector has to complete its WebSocket handshake (a slow-loris guard). */
        @WithDefault("10s")
        Duration handshakeTimeout();

        /** Public HTTPS for the tunnels' host names, with certificates obtained and renewed over ACME. */
        Tls tls();
    }

    interface Tls {
        /** Terminate TLS for the public host names (off: plain HTTP only, the local default). */
        @WithDefault("false")
        boolean enabled();

        /** Address of the public HTTPS listener. */
        @WithDefault("0.0.0.0")
        String host();

        /** Port of the public HTTPS listener (443 in production). */
        @WithDefault("8443")
        int port();

        /** HTTPS port in the redirects of plain HTTP requests, when visitors reach the listener through another. */
        Optional<Integer> publicPort();

        /**
         * Host names to obtain certificates for; by default every exact name among the tunnels' hosts (wildcards
         * cannot be validated over HTTP-01). A certificate is never obtained for a name that is not listed.
         */
        Optional<List<String>> hosts();

        /** Plain HTTP requests for a host that has a certificate are redirected to HTTPS (ACME challenges excepted). */
        @WithDefault("true")
        boolean redirectHttp();

        /**
         * Time a visitor has to send a request's head on the HTTPS listener, as nginx's {@code client_header_timeout}:
         * from the accept (TLS handshake included) for a connection's first request, from its first byte for a later
         * one; past it the connection is closed (a slowloris client would otherwise hold it). {@code 0s} turns it off.
         */
        @WithDefault("60s")
        Duration requestHeadTimeout();

        /** {@code Strict-Transport-Security} on HTTPS answers; {@code off} sends none. */
        @WithDefault("max-age=31536000")
        String hsts();

        /** The ACME server and how certificates are kept. */
        Acme acme();
    }

    interface Acme {
        /**
         * Directory URL of the ACME server: {@code letsencrypt} (production), {@code letsencrypt-staging}, or the URL of
         * any ACME server (a private CA).
         */
        @WithDefault("letsencrypt")
        String directory();

        /** Contact e-mail given to the CA for expiry notices; none by default. */
        Optional<String> email();

        /** PEM CA certificates to trust for the ACME server's own HTTPS (a private CA), besides the JVM's. */
        Optional<java.nio.file.Path> trustFile();

        /** Folder of the account key, certificates and keys (readable by the service only); a PVC in Kubernetes. */
        @WithDefault("data/acme")
        java.nio.file.Path storageDir();

        /** How often the certificates are checked for renewal. */
        @WithDefault("1h")
        Duration checkInterval();

        /** First wait after a failed issuance or renewal; it doubles on each failure up to {@link #retryMax()}. */
        @WithDefault("1m")
        Duration retryInitial();

        /** Longest wait between failed attempts. */
        @WithDefault("6h")
        Duration retryMax();

        /**
         * Challenge types in order of preference: {@code http-01} (on the plain HTTP port, which must be reachable on
         * port 80) and {@code tls-alpn-01} (on the HTTPS listener, port 443); after a failed order the next is tried.
         */
        @WithDefault("http-01,tls-alpn-01")
        List<String> challenges();

        /** Time one order may take, from the challenge to the downloaded certificate. */
        @WithDefault("2m")
        Duration timeout();
    }

    interface Tunnel {
        /** Host names the tunnel serves: exact names, {@code *.example.com}, or {@code *} for any host. */
        List<String> hosts();

        /**
         * Tokens issued before this instant (ISO-8601, e.g. {@code 2026-11-24T12:00:00Z}) are refused: set it after
         * rolling a new token out to revoke the old ones.
         */
        Optional<String> notBefore();

        /**
         * File the edge keeps a connector token of this tunnel in (written at start when it is missing, no longer
         * accepted, or past two thirds of its life): for a connector on the same box or a shared volume, as in
         * compose.yaml, which reads it with {@code edgestack.tunnel.connector.token-file}.
         */
        Optional<java.nio.file.Path> tokenFile();
    }

    interface Connector {
        /** Edge connector listeners to dial, as {@code host:port}; connections are spread over them. */
        @WithDefault("127.0.0.1:7844")
        List<String> edgeAddresses();

        /** Local origin of the catch-all ingress rule (proxy-service by default) when no ingress rule is set. */
        @WithDefault("http://127.0.0.1:8081")
        String origin();

        /**
         * Ordered ingress rules: the first whose hostname and path match the request names the local service. The
         * last rule must match everything (no hostname, no path), like cloudflared's.
         */
        Optional<List<IngressRule>> ingress();

        /** The token the edge issued for this tunnel. */
        Optional<String> token();

        /**
         * A file holding that token instead (the edge's {@code tunnels.<id>.token-file}): read at start, waited for
         * while it does not exist yet.
         */
        Optional<java.nio.file.Path> tokenFile();

        /** Redundant connections kept open (spread over the edge addresses). */
        @WithDefault("4")
        int haConnections();

        /** Dial the edge with TLS (wss). */
        @WithDefault("false")
        boolean tls();

        /** PEM CA certificate to trust for the edge's TLS certificate, in addition to the JVM's. */
        Optional<String> tlsCaFile();

        /** First reconnect delay; it doubles on each failed attempt, with jitter, up to {@link #reconnectMax()}. */
        @WithDefault("1s")
        Duration reconnectInitial();

        /** Longest reconnect delay. The connector never stops trying. */
        @WithDefault("30s")
        Duration reconnectMax();

        /** A connection that lived this long resets the backoff to its first delay. */
        @WithDefault("10s")
        Duration stableAfter();

        /** Heartbeat interval on edge connections. */
        @WithDefault("5s")
        Duration heartbeatInterval();

        /** Heartbeats missed before a connection is declared dead. */
        @WithDefault("3")
        int heartbeatMisses();

        /** Connect timeout to the local origin; past it the edge answers 502. */
        @WithDefault("5s")
        Duration originConnectTimeout();

        /** Time the origin may stay silent during an exchange; past it the edge answers 504. */
        @WithDefault("60s")
        Duration originTimeout();

        /** On shutdown, time in-flight streams have to finish after the edge was told to send no more. */
        @WithDefault("10s")
        Duration gracePeriod();

        /** Name of this connector replica on the edge's admin API; host name and pid by default. */
        Optional<String> replica();

        /** How HTTPS origins are spoken to, for every ingress rule that does not say (cloudflared's {@code originRequest}). */
        OriginRequest originRequest();
    }

    /**
     * How an origin is asked, as cloudflared's {@code originRequest}: TLS to an {@code https://} one (the JVM's trust and
     * the URL's host by default), and the Host it is asked with (the visitor's by default).
     */
    interface OriginRequest {
        /** Accept any certificate of the origin (a local service's self-signed one): {@code noTLSVerify}. */
        Optional<Boolean> noTlsVerify();

        /** The name the origin's certificate is checked against and asked for (SNI): {@code originServerName}. */
        Optional<String> originServerName();

        /** PEM file of the CA certificates that sign the origin's certificate, in place of the JVM's: {@code caPool}. */
        Optional<String> caPool();

        /** The {@code Host} the origin is asked with instead of the visitor's: {@code httpHostHeader}. */
        Optional<String> httpHostHeader();
    }

    interface IngressRule {
        /** Host name to match (exact or {@code *.example.com}); any host while unset. */
        Optional<String> hostname();

        /**
         * Path prefix to match, on segment boundaries ({@code /api} matches {@code /api/x}, not {@code /apix}); a path
         * with other characters is a regular expression searched in the path, as cloudflared's ({@code \.(jpg|png)$}).
         */
        Optional<String> path();

        /**
         * {@code http://host:port} of a local service, {@code tcp://host:port} (or {@code ssh://}, {@code rdp://},
         * {@code smb://}) of a TCP service carried over WebSocket, or {@code http_status:NNN} to answer with that status.
         */
        String service();

        /** For a TCP service: the bearer token visitors must present (a secret: from env or config, never logged). */
        Optional<String> accessToken();

        /** This rule's TLS to an {@code https://} service, each setting defaulting to the connector's. */
        OriginRequest originRequest();
    }
}
