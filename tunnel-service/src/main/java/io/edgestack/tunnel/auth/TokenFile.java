package io.edgestack.tunnel.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import io.edgestack.tunnel.tls.PrivateFiles;

/**
 * A connector token kept in a file by the edge, for a connector that shares the edge's box or a volume with it
 * (compose.yaml): the token never has to be copied by hand. The file is rewritten only when what it holds is no
 * longer a token this edge accepts for the tunnel, or is past two thirds of its life; it is written atomically,
 * readable by its owner only.
 */
public final class TokenFile {

    /** Decides whether a token is still good: this edge's own checks on connect (signature, tunnel, not-before, hosts). */
    public interface Acceptance {
        void check(TunnelTokens.Claims claims) throws TokenRejected;
    }

    private TokenFile() {
    }

    /** @return true when a new token was written */
    public static boolean ensure(TunnelTokens tokens, Acceptance acceptance, String tunnel, List<String> hosts,
            Duration ttl, Path file, Clock clock) throws IOException {
        if (Files.isRegularFile(file)) {
            try {
                TunnelTokens.Claims claims = tokens.verify(Files.readString(file, StandardCharsets.US_ASCII).trim());
                acceptance.check(claims);
                Duration life = Duration.between(claims.issuedAt(), claims.expiresAt());
                boolean fresh = Duration.between(clock.instant(), claims.expiresAt()).compareTo(life.dividedBy(3)) > 0;
                if (claims.tunnel().equals(tunnel) && claims.hosts().equals(hosts) && fresh) {
                    return false;
                }
            } catch (TokenRejected | IOException | RuntimeException e) {
                // not a token this edge accepts any more: replaced below
            }
        }
        PrivateFiles.write(file, tokens.issue(tunnel, hosts, ttl) + "\n");
        return true;
    }
}
