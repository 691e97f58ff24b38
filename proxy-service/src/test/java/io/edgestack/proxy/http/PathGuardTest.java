package io.edgestack.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The paths a request may name, cleaned, and the ones refused; plain paths come back as they are, without copying. */
class PathGuardTest {

    @ParameterizedTest
    @CsvSource({
            "/, /",
            "/index.html, /index.html",
            "/blog/post, /blog/post",
            "/blog/post/, /blog/post/",
            "/a//b, /a/b",
            "//a, /a",
            "/a/b//, /a/b/",
            "/.well-known/acme-challenge/x, /.well-known/acme-challenge/x",
            "/a/.hidden, /a/.hidden",
            "/a/b.c/d, /a/b.c/d",
            "/caf%C3%A9, /café",
            "/a%20b, /a b",
            "/a%2Bb, /a+b",
            "/a%2fb, /a/b",
            "/..a/b.., /..a/b..",
            "/.../x, /.../x",
    })
    void cleans(String raw, String clean) throws PathGuard.BadPath {
        assertEquals(clean, PathGuard.clean(raw));
        if (raw.equals(clean)) {
            org.junit.jupiter.api.Assertions.assertSame(raw, PathGuard.clean(raw), "a plain path is not rebuilt");
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "\"\" | the path must start with '/'",
            "a/b | the path must start with '/'",
            "/.. | '.' and '..' segments are not allowed in paths",
            "/a/../b | '.' and '..' segments are not allowed in paths",
            "/a/./b | '.' and '..' segments are not allowed in paths",
            "/a/. | '.' and '..' segments are not allowed in paths",
            "/a/.. | '.' and '..' segments are not allowed in paths",
            "//.. | '.' and '..' segments are not allowed in paths",
            "/%2e%2e/etc/passwd | '.' and '..' segments are not allowed in paths",
            "/.%2e/etc | '.' and '..' segments are not allowed in paths",
            "/%252e%252e/etc | double-encoded characters are not allowed in paths",
            "/a%252fb | double-encoded characters are not allowed in paths",
            "/a\\b | backslashes and NUL bytes are not allowed in paths",
            "/a%5cb | backslashes and NUL bytes are not allowed in paths",
            "/a%00b | backslashes and NUL bytes are not allowed in paths",
            "/a%zz | malformed percent-escape in path",
            "/a%2 | malformed percent-escape in path",
    })
    void refuses(String raw, String reason) {
        assertEquals(reason, assertThrows(PathGuard.BadPath.class, () -> PathGuard.clean(raw)).getMessage());
    }
}
