package io.edgestack.monitor.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.agroal.api.AgroalDataSource;
import io.edgestack.monitor.check.CheckResult;

/** The store's roll-up: past the raw retention only hourly aggregates stay; past the hourly retention nothing. */
class RetentionTest {

    @Test
    void rollsRawResultsUpIntoHoursAndForgetsOldHours() throws Exception {
        try (AgroalDataSource dataSource = TestDatabases.migratedH2("jdbc:h2:mem:retention;DB_CLOSE_DELAY=-1", 2)) {
            MonitorStore store = new MonitorStore(dataSource);
            Instant now = Instant.now().truncatedTo(ChronoUnit.HOURS);
            Instant old = now.minus(Duration.ofDays(10));
            Instant ancient = now.minus(Duration.ofDays(400));
            for (Instant hour : List.of(ancient, old, now)) {
                for (int i = 0; i < 4; i++) {
                    boolean ok = i != 3;
                    store.result(new CheckResult("web", hour.plusSeconds(i * 30L), ok, ok ? "ok" : "status", 10 + i,
                            ok ? 200 : 500, ok ? "HTTP 200" : "HTTP 500", null));
                }
            }
            store.flush();
            assertEquals(12, store.results("web", 100).size(), "before the roll-up, three hours of packed results");
            assertEquals(3, store.failures("web", 100).size());
            int[] done = store.rollUp(Duration.ofDays(7), Duration.ofDays(365));
            assertEquals(2, done[0], "the hours older than 7 days lose their packed results");
            assertEquals(1, done[1], "one hour (400 days old) is deleted");
            assertEquals(2, done[2], "failed-run rows older than 7 days are deleted");
            List<CheckResult> recent = store.results("web", 100);
            assertEquals(4, recent.size(), "only the current hour keeps its results");
            assertTrue(recent.stream().allMatch(r -> !r.at().isBefore(now)));
            List<MonitorStore.Day> days = store.days("web", now.minus(Duration.ofDays(90)));
            assertEquals(2, days.size(), "the 10-day-old hour still counts in the uptime: " + days);
            assertEquals(4, days.get(0).total());
            assertEquals(3, days.get(0).ok());
            assertEquals(1, store.failures("web", 100).size());
        }
    }
}
