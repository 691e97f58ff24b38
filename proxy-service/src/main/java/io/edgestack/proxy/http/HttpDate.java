package io.edgestack.proxy.http;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Locale;

/**
 * HTTP dates (RFC 9110 §5.6.7): IMF-fixdate when generating ({@code Tue, 01 Dec 2026 14:03:59 GMT}: two-digit day,
 * which {@link DateTimeFormatter#RFC_1123_DATE_TIME} does not give on days 1 to 9), and the three forms a recipient
 * must accept when parsing (IMF-fixdate, RFC 850, asctime). The current second's value is computed once.
 */
public final class HttpDate {

    private static final DateTimeFormatter IMF_FIXDATE = DateTimeFormatter
            .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    /** RFC 850: {@code Tuesday, 01-Dec-26 14:03:59 GMT}; the two-digit year is read as 1970-2069. */
    private static final DateTimeFormatter RFC_850 = new DateTimeFormatterBuilder()
            .appendPattern("EEEE, dd-MMM-").appendValueReduced(ChronoField.YEAR, 2, 2, 1970)
            .appendPattern(" HH:mm:ss 'GMT'").toFormatter(Locale.US);
    /** asctime: {@code Tue Dec  1 14:03:59 2026}. */
    private static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

    private record Cached(long second, String text) {
    }

    private static volatile Cached now = new Cached(-1, "");

    private HttpDate() {
    }

    public static String now() {
        long second = System.currentTimeMillis() / 1000;
        Cached cached = now;
        if (cached.second != second) {
            cached = new Cached(second, format(second * 1000));
            now = cached;
        }
        return cached.text;
    }

    public static String format(long epochMillis) {
        return IMF_FIXDATE.format(Instant.ofEpochMilli(epochMillis));
    }

    /** Epoch milliseconds, or -1 when the value is not a valid HTTP date. */
    public static long parse(String value) {
        if (value == null) {
            return -1;
        }
        String text = value.trim();
        try {
            // lenient about the day's digits and the zone name (RFC 1123 dates with "UT" or "+0000" are still seen)
            return Instant.from(DateTimeFormatter.RFC_1123_DATE_TIME.parse(text)).toEpochMilli();
        } catch (DateTimeParseException e) {
            // an obsolete form
        }
        for (DateTimeFormatter obsolete : new DateTimeFormatter[] {RFC_850, ASCTIME}) {
            try {
                return LocalDateTime.parse(text, obsolete).toInstant(ZoneOffset.UTC).toEpochMilli();
            } catch (DateTimeParseException e) {
                // try the next
            }
        }
        return -1;
    }
}
