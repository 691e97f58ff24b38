package io.edgestack.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Reading an HTTP/1.1 answer off a plain socket, for tests that speak HTTP by hand. */
public final class RawAnswer {

    private RawAnswer() {
    }

    /** An answer with a {@code Content-Length}: its head, then that many bytes, as one ISO-8859-1 string. */
    public static String read(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || head.lastIndexOf("\r\n\r\n") != head.length() - 4) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("closed after: " + head);
            }
            head.append((char) b);
        }
        String length = head.toString().lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("content-length:")).findFirst()
                .orElseThrow(() -> new AssertionError("no content-length: " + head)).substring(15).trim();
        return head + new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.ISO_8859_1);
    }
}
