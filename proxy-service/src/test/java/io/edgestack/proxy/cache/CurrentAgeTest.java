package io.edgestack.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.edgestack.proxy.http.HttpDate;
import io.edgestack.proxy.site.EdgeCache;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/** The age of a stored answer (RFC 9111 §4.2.3) from its Date, which has one-second resolution. */
class CurrentAgeTest {

    private static final EdgeCache ON = new EdgeCache(true, List.of(), List.of(), false, Duration.ZERO, Duration.ZERO);
    private static final long SECOND = 1_764_633_600_000L; // a whole second

    private static CachedResponse stored(long dateMs, long requestTime, long responseTime, String cacheControl) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Date", HttpDate.format(dateMs))
                .add("Cache-Control", cacheControl);
        return CachePolicy.entry("http://a.test/", 200, headers, Buffer.buffer("x"), requestTime, responseTime, ON);
    }

    @Test
    void anAnswerMadeLateInASecondIsNotCountedAsOldAsThatSecond() {
        // made at SECOND + 990 ms: its Date says SECOND; asked at +985, arrived at +995
        CachedResponse entry = stored(SECOND + 990, SECOND + 985, SECOND + 995, "max-age=1");
        assertEquals(10, entry.currentAgeMs(SECOND + 995), "only the time the request took");
        assertTrue(entry.ttlMs(SECOND + 1500) > 0, "fresh half a second after it was stored, with max-age=1");
    }

    @Test
    void anOldDateStillAgesTheAnswer() {
        // a Date three seconds before it arrived (an upstream cache held it), asked at +3.0 s, arrived at +3.4 s
        CachedResponse entry = stored(SECOND, SECOND + 3000, SECOND + 3400, "max-age=10");
        assertEquals(3000, entry.currentAgeMs(SECOND + 3400), "three whole seconds by its Date, more than the 400 ms asked");
        assertEquals(4000, entry.currentAgeMs(SECOND + 4400), "and it ages while it is stored");
        assertTrue(entry.ttlMs(SECOND + 10_300) > 0);
        assertTrue(entry.ttlMs(SECOND + 10_500) < 0, "stale once its ten seconds are over");
    }

    @Test
    void anAnswerWithoutDateIsStoredWithTheTimeItArrived() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("Cache-Control", "max-age=1");
        CachedResponse entry = CachePolicy.entry("http://a.test/", 200, headers, Buffer.buffer("x"), SECOND + 980,
                SECOND + 990, ON);
        assertEquals(HttpDate.format(SECOND + 990), entry.headers().get("Date"), "RFC 9110 §6.6.1");
        assertEquals(10, entry.currentAgeMs(SECOND + 990));
        assertTrue(entry.fresh(SECOND + 1900));
    }
}
