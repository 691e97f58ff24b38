package io.edgestack.deploy.webhook;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class SignaturesTest {

    private static final byte[] BODY = "Hello, World!".getBytes(StandardCharsets.UTF_8);

    @Test
    void checksGithubSignaturesAsGithubDocumentsThem() {
        // the example from GitHub's "Validating webhook deliveries" page: secret "It's a Secret to Everybody"
        String expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assertTrue(Signatures.github("It's a Secret to Everybody", BODY, expected));
        assertTrue(Signatures.github("It's a Secret to Everybody", BODY, expected.toUpperCase().replace("SHA256", "sha256")));
        assertFalse(Signatures.github("another secret", BODY, expected));
        assertFalse(Signatures.github("It's a Secret to Everybody", "Hello, World?".getBytes(StandardCharsets.UTF_8), expected));
        assertFalse(Signatures.github("It's a Secret to Everybody", BODY, expected.substring("sha256=".length())));
        assertFalse(Signatures.github("It's a Secret to Everybody", BODY, "sha256=" + "0".repeat(64)));
        assertFalse(Signatures.github("It's a Secret to Everybody", BODY, "sha256=xyz"));
        assertFalse(Signatures.github("It's a Secret to Everybody", BODY, null));
    }

    @Test
    void checksGiteaHexSignaturesAndGitlabTokens() {
        String hex = Signatures.hmacHex("s3cret", BODY);
        assertTrue(Signatures.gitea("s3cret", BODY, hex));
        assertFalse(Signatures.gitea("s3cret", BODY, "sha256=" + hex));
        assertFalse(Signatures.gitea("s3cret", BODY, null));
        assertTrue(Signatures.gitlab("s3cret", "s3cret"));
        assertFalse(Signatures.gitlab("s3cret", "s3cret "));
        assertFalse(Signatures.gitlab("s3cret", null));
    }
}
