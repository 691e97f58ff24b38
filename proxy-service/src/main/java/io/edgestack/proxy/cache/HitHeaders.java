package io.edgestack.proxy.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.edgestack.proxy.http.HeaderNames;
import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;

/**
 * A stored response's headers as a hit sends them, prepared once when the entry is made: names and values as
 * {@link AsciiString}s (their hash is computed once, and the encoder copies their bytes instead of converting each
 * character), without the ones every answer from the cache sets for itself.
 */
final class HitHeaders {

    /** Set per answer (Age, Content-Length, the cache's status), or never sent to visitors (the purge tags). */
    private static final Set<String> PER_ANSWER = Set.of("age", "content-length", "cache-status", "x-cache", "cache-tag",
            "surrogate-key");

    private final AsciiString[] names;
    private final AsciiString[] values;
    private final boolean date;

    private HitHeaders(AsciiString[] names, AsciiString[] values, boolean date) {
        this.names = names;
        this.values = values;
        this.date = date;
    }

    static HitHeaders of(MultiMap stored) {
        List<AsciiString> names = new ArrayList<>();
        List<AsciiString> values = new ArrayList<>();
        boolean date = false;
        for (Map.Entry<String, String> header : stored) {
            String lower = header.getKey().toLowerCase(Locale.ROOT);
            if (PER_ANSWER.contains(lower)) {
                continue;
            }
            date |= lower.equals("date");
            names.add(AsciiString.of(header.getKey()));
            values.add(AsciiString.of(header.getValue()));
        }
        return new HitHeaders(names.toArray(AsciiString[]::new), values.toArray(AsciiString[]::new), date);
    }

    /** Adds them to an answer's headers; a stored Date replaces the one the answer had. */
    void addTo(MultiMap headers) {
        if (date) {
            headers.remove(HeaderNames.DATE);
        }
        for (int i = 0; i < names.length; i++) {
            headers.add(names[i], values[i]);
        }
    }
}
