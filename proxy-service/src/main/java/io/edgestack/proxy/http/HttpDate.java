package io.edgestack.proxy.http;

import java.util.Date;

import io.netty.handler.codec.DateFormatter;
import io.netty.util.AsciiString;

/**
 * HTTP dates (RFC 9110 §5.6.7), on Netty's {@link DateFormatter}: IMF-fixdate when generating
 * ({@code Tue, 01 Dec 2026 14:03:59 GMT}, two-digit day), and the three forms a recipient must accept when parsing
 * (IMF-fixdate, RFC 850, asctime). The current second's value is computed once.
 */
public final class HttpDate {

    private record Cached(long second, String text, AsciiString ascii) {
    }

    private static volatile Cached now = new Cached(-1, "", AsciiString.EMPTY_STRING);

    private HttpDate() {
    }

    public static String now() {
        return current().text;
    }

    /** The same as {@link #now()}, as a header value that is written out as bytes. */
    public static AsciiString nowAscii() {
        return current().ascii;
    }

    private static Cached current() {
        long second = System.currentTimeMillis() / 1000;
        Cached cached = now;
        if (cached.second != second) {
            String text = format(second * 1000);
            cached = new Cached(second, text, AsciiString.of(text));
            now = cached;
        }
        return cached;
    }

    public static String format(long epochMillis) {
        return DateFormatter.format(new Date(epochMillis));
    }

    /** Epoch milliseconds, or -1 when the value is not a valid HTTP date. */
    public static long parse(String value) {
        Date date = value == null ? null : DateFormatter.parseHttpDate(value.trim());
        return date == null ? -1 : date.getTime();
    }
}
