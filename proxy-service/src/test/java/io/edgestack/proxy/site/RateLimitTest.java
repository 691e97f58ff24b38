package io.edgestack.proxy.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class RateLimitTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

    private void advance(Duration by) {
        now.addAndGet(by.toNanos());
    }

    @Test
    void aBurstAtOnceThenTheSteadyRate() {
        RateLimit limit = new RateLimit(2, Duration.ofSeconds(1), 3, now::get); // 2 a second, 3 at once
        assertEquals(0, limit.take("a"));
        assertEquals(0, limit.take("a"));
        assertEquals(0, limit.take("a"));
        assertEquals(1, limit.take("a"), "the fourth at once waits (0.5 s, said in whole seconds)");
        assertEquals(0, limit.take("b"), "each client has its own");
        advance(Duration.ofMillis(500));
        assertEquals(0, limit.take("a"), "one more every half second");
        assertEquals(1, limit.take("a"));
        advance(Duration.ofSeconds(10));
        for (int i = 0; i < 3; i++) {
            assertEquals(0, limit.take("a"), "a whole burst again after a pause");
        }
        assertEquals(1, limit.take("a"));
    }

    @Test
    void retryAfterSaysHowLongInWholeSeconds() {
        RateLimit limit = new RateLimit(1, Duration.ofMinutes(1), 1, now::get);
        assertEquals(0, limit.take("a"));
        assertEquals(60, limit.take("a"));
        advance(Duration.ofSeconds(59).plusMillis(500));
        assertEquals(1, limit.take("a"));
        advance(Duration.ofMillis(500));
        assertEquals(0, limit.take("a"));
        assertEquals(0, limit.take(null), "an unknown address has an allowance of its own");
    }

    @Test
    void threadsTakingTogetherGetNoMoreThanTheBurst() throws Exception {
        RateLimit limit = new RateLimit(100, Duration.ofHours(1), 100, now::get); // the clock stands still
        AtomicInteger admitted = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 1000; i++) {
                    if (limit.take("shared") == 0) {
                        admitted.incrementAndGet();
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(100, admitted.get());
    }

    @Test
    void aReloadThatKeepsALimitKeepsItsClientsAndAChangedLimitStartsAfresh() {
        String file = """
                sites:
                  - name: a
                    rate-limit: {requests: 2, per: 1h, burst: 2}
                    routes:
                      - {path: /, static: {}}
                      - {path: /login, static: {}, rate-limit: {requests: 1, per: 1h, burst: 1}}
                  - name: b
                    rate-limit: {requests: 1, per: 1h, burst: 1}
                """;
        Sites before = SitesLoader.parse(file, "a");
        Site a = before.forHost("a");
        assertEquals(0, a.rateLimitOn(a.route("/")).take("client"));
        assertEquals(0, a.rateLimitOn(a.route("/")).take("client"));
        assertEquals(0, a.rateLimitOn(a.route("/login")).take("client"));
        Site b = before.all().get(1);
        assertEquals(0, b.rateLimit().take("client"));

        // the same file again, with site b's limit changed
        Sites next = SitesLoader.parse(file.replace("rate-limit: {requests: 1, per: 1h, burst: 1}\n",
                "rate-limit: {requests: 1, per: 1h, burst: 3}\n"), "a");
        SiteRegistry.keepRateLimits(before, next);
        Site a2 = next.forHost("a");
        assertTrue(a2.rateLimitOn(a2.route("/")).take("client") > 0, "the site's limit remembers the burst spent");
        assertTrue(a2.rateLimitOn(a2.route("/login")).take("client") > 0, "so does the route's");
        assertEquals(0, a2.rateLimitOn(a2.route("/")).take("another"), "other clients as before");
        Site b2 = next.all().get(1);
        assertEquals("1 per PT1H, burst 3", b2.rateLimit().toString());
        assertEquals(0, b2.rateLimit().take("client"), "a changed limit starts afresh");
    }
}
