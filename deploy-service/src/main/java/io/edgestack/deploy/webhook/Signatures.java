package io.edgestack.deploy.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Webhook authenticity, each forge its own way, always compared in constant time: GitHub's
 * {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>}, Gitea's {@code X-Gitea-Signature: <hex HMAC>},
 * GitLab's {@code X-Gitlab-Token: <the secret itself>}.
 */
public final class Signatures {

    private Signatures() {
    }

    /** GitHub: {@code header} is {@code sha256=<64 hex digits>}. */
    public static boolean github(String secret, byte[] body, String header) {
        if (header == null || !header.startsWith("sha256=")) {
            return false;
        }
        return hmacMatches(secret, body, header.substring("sha256=".length()));
    }

    /** Gitea (and Forgejo): {@code header} is the bare hex HMAC-SHA256. */
    public static boolean gitea(String secret, byte[] body, String header) {
        return header != null && hmacMatches(secret, body, header);
    }

    /** GitLab: the secret token is sent as is. */
    public static boolean gitlab(String secret, String header) {
        return header != null && MessageDigest.isEqual(sha256(secret), sha256(header));
    }

    public static String hmacHex(String secret, byte[] body) {
        return HexFormat.of().formatHex(hmac(secret, body));
    }

    private static boolean hmacMatches(String secret, byte[] body, String hex) {
        byte[] presented;
        try {
            presented = HexFormat.of().parseHex(hex.trim().toLowerCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(hmac(secret, body), presented);
    }

    private static byte[] hmac(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
