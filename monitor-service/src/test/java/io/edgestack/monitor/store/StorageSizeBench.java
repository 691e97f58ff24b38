package io.edgestack.monitor.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import io.agroal.api.AgroalDataSource;
import io.edgestack.monitor.check.CheckResult;

/**
 * The storage benchmark (bench/monitor-storage runs it): 100 checks every 30 s for 30 simulated days, 1 % failures,
 * through the store's own write path into an H2 file (flushed every 30 simulated seconds), with the default retention
 * (7 days raw, hourly after), then the file's size: the largest it was, at the end, and compacted. Off unless {@code -Dbench.storage=true}.
 */
@EnabledIfSystemProperty(named = "bench.storage", matches = "true")
class StorageSizeBench {

    @Test
    void hundredChecksForThirtyDays() throws Exception {
        int checks = Integer.getInteger("bench.checks", 100);
        int days = Integer.getInteger("bench.days", 30);
        Path dir = Files.createTempDirectory("monitor-storage");
        // The service's own URL settings, with one change for simulated time: H2 reuses the space of rewritten pages only
        // after its retention time (45 s of wall-clock time), which is 1.5 of the service's 30 s flushes. Here a flush
        // comes every few milliseconds, so the same 45 s would keep thousands of flushes' worth of dead pages: the
        // retention is scaled with the clock to 20 ms (still several flushes). -Dbench.retention-ms= keeps H2's default.
        String retention = System.getProperty("bench.retention-ms", "20");
        String url = "jdbc:h2:file:" + dir.resolve("monitor-db") + ";DB_CLOSE_ON_EXIT=FALSE;COMPRESS=TRUE"
                + (retention.isEmpty() ? "" : ";RETENTION_TIME=" + retention);
        int flushEvery = Integer.getInteger("bench.flush-seconds", 30);
        try (AgroalDataSource dataSource = TestDatabases.migratedH2(url, 4)) {
            MonitorStore store = new MonitorStore(dataSource);
            Instant end = Instant.now().truncatedTo(ChronoUnit.HOURS);
            Instant start = end.minus(Duration.ofDays(days));
            long began = System.nanoTime();
            long results = 0;
            long peak = 0;
            for (Instant at = start; at.isBefore(end); at = at.plusSeconds(30)) {
                for (int c = 0; c < checks; c++) {
                    boolean ok = (results * 7919 + c) % 100 != 0;
                    store.result(ok ? new CheckResult("check-" + c, at, true, "ok", 20 + (results % 80), 200, "HTTP 200", null)
                            : new CheckResult("check-" + c, at, false, "status", 35, 503, "HTTP 503 in 35 ms (expected"
                                    + " 200-399): <h1>Service Unavailable</h1>", null));
                    results++;
                }
                if (at.getEpochSecond() % 86_400 == 0) {
                    peak = Math.max(peak, Files.size(dir.resolve("monitor-db.mv.db")));
                }
                if (at.getEpochSecond() % flushEvery == 0) {
                    store.flush(); // every 30 simulated seconds, as the service does
                }
                if (at.getEpochSecond() % 86_400 == 0) {
                    store.rollUp(Duration.ofDays(7).plus(Duration.between(at, end)), Duration.ofDays(365).plus(Duration.between(at, end)));
                }
            }
            store.flush();
            store.rollUp(Duration.ofDays(7), Duration.ofDays(365));
            double seconds = (System.nanoTime() - began) / 1e9;
            long live = Files.size(dir.resolve("monitor-db.mv.db"));
            try (Connection c = dataSource.getConnection()) {
                c.createStatement().execute("SHUTDOWN COMPACT");
            }
            long compact = Files.size(dir.resolve("monitor-db.mv.db"));
            System.out.printf("monitor storage: %d checks x 30 s for %d days = %,d results written in %.0f s (%,.0f/s)%n",
                    checks, days, results, seconds, results / seconds);
            System.out.printf("monitor storage: database file %.1f MB at the end (largest %.1f MB), %.1f MB compacted"
                    + " (target < 50 MB)%n", live / 1048576.0, Math.max(peak, live) / 1048576.0, compact / 1048576.0);
        }
    }
}
