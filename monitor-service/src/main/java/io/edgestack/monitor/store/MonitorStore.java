package io.edgestack.monitor.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import io.agroal.api.AgroalDataSource;
import io.edgestack.monitor.check.CheckResult;

/**
 * Results, incidents, alert deliveries and API-made checks in the database (an H2 file by default, PostgreSQL with the
 * {@code postgresql} profile; schema by Flyway).
 * Plain JDBC, each call its own transaction. Blocking: call from worker threads.
 */
@ApplicationScoped
public class MonitorStore {

    private final AgroalDataSource dataSource;
    private final Map<String, HourBlock> blocks = new java.util.HashMap<>();
    /** Blocks of hours that ended but are not written yet. */
    private final List<HourBlock> finished = new ArrayList<>();
    /** Failed runs not written yet. */
    private final List<CheckResult> failed = new ArrayList<>();

    /** The H2 datasource, or the PostgreSQL one ({@code pg}) when that is the active one (profile {@code postgresql}). */
    @jakarta.inject.Inject
    public MonitorStore(io.quarkus.arc.InjectableInstance<AgroalDataSource> h2,
            @io.quarkus.agroal.DataSource("pg") io.quarkus.arc.InjectableInstance<AgroalDataSource> pg) {
        this(org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getOptionalValue("quarkus.datasource.pg.active", Boolean.class).orElse(false) ? pg.get() : h2.get());
    }

    public MonitorStore(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** An incident as stored. */
    public record Incident(long id, String check, Instant startedAt, Instant endedAt, String cause, String summary,
            int failures, String note, String layer) {
        public Long durationSeconds() {
            return endedAt == null ? null : java.time.Duration.between(startedAt, endedAt).toSeconds();
        }
    }

    /** An alert delivery: {@code status} pending, sent, suppressed (maintenance) or retrying. */
    public record Alert(long id, long incidentId, String channel, String kind, String payload, String status, int attempts,
            String lastError, Instant nextAttemptAt, Instant createdAt, Instant sentAt) {
    }

    /**
     * Records a result: packed into its check's block of the hour and, when it failed, also as a row with what was seen;
     * both are written out by {@link #flush()} in one transaction (every 30 s and at shutdown).
     */
    public void result(CheckResult r) {
        synchronized (blocks) {
            HourBlock block = blocks.get(r.check());
            Instant hour = HourBlock.hourOf(r.at());
            if (block == null || !block.hour.equals(hour)) {
                if (block != null && block.dirty) {
                    finished.add(block);
                }
                block = block == null ? load(r.check(), hour) : new HourBlock(r.check(), hour, 0, 0, 0, 0, null);
                blocks.put(r.check(), block);
            }
            block.add(r);
            if (r.failing()) {
                failed.add(r);
            }
        }
    }

    /** Writes out the blocks that changed since the last flush, in one transaction. */
    public void flush() {
        synchronized (blocks) {
            List<HourBlock> dirty = new ArrayList<>(finished);
            blocks.values().stream().filter(b -> b.dirty).forEach(dirty::add);
            if (dirty.isEmpty() && failed.isEmpty()) {
                return;
            }
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    for (HourBlock block : dirty) {
                        write(c, block);
                    }
                    if (!failed.isEmpty()) {
                        try (PreparedStatement insert = c.prepareStatement("INSERT INTO check_result (check_name, at, ok, cause,"
                                + " latency_ms, status, summary) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                            for (CheckResult r : failed) {
                                insert.setString(1, r.check());
                                insert.setTimestamp(2, Timestamp.from(r.at()));
                                insert.setBoolean(3, r.ok());
                                insert.setString(4, r.cause());
                                insert.setLong(5, r.latencyMs());
                                insert.setInt(6, r.status());
                                insert.setString(7, r.summary());
                                insert.addBatch();
                            }
                            insert.executeBatch();
                        }
                    }
                    c.commit();
                } catch (SQLException e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setAutoCommit(true);
                }
                dirty.forEach(b -> b.dirty = false);
                finished.clear();
                failed.clear();
            } catch (SQLException e) {
                throw new IllegalStateException("monitor database: " + e.getMessage(), e);
            }
        }
    }

    /** The newest results of a check (from its packed blocks), newest first. */
    public List<CheckResult> results(String check, int limit) {
        flush();
        List<CheckResult> out = new ArrayList<>();
        query("SELECT hour_start, data FROM check_hour WHERE check_name = ? AND data IS NOT NULL ORDER BY hour_start DESC"
                + " FETCH FIRST 3 ROWS ONLY",
                rs -> {
                    List<CheckResult> hour = HourBlock.decode(check, instant(rs, "hour_start"), rs.getBytes("data"));
                    java.util.Collections.reverse(hour);
                    out.addAll(hour);
                }, check);
        return out.size() > limit ? out.subList(0, limit) : out;
    }

    /** Failed runs of a check with what was seen, newest first. */
    public List<CheckResult> failures(String check, int limit) {
        flush();
        List<CheckResult> out = new ArrayList<>();
        query("SELECT * FROM check_result WHERE check_name = ? ORDER BY at DESC, id DESC FETCH FIRST " + limit + " ROWS ONLY",
                rs -> out.add(new CheckResult(rs.getString("check_name"), instant(rs, "at"), rs.getBoolean("ok"),
                        rs.getString("cause"), rs.getLong("latency_ms"), rs.getInt("status"), rs.getString("summary"), null)),
                check);
        return out;
    }

    /**
     * Roll-up and retention: packed results older than {@code raw} are dropped (their hour's aggregates stay), hours older
     * than {@code hourly} are deleted, failed-run rows older than {@code raw} and delivered alerts older than 30 days too.
     */
    public int[] rollUp(java.time.Duration raw, java.time.Duration hourly) {
        flush();
        Instant now = Instant.now();
        int packed = update("UPDATE check_hour SET data = NULL WHERE hour_start < ? AND data IS NOT NULL", now.minus(raw));
        int hours = update("DELETE FROM check_hour WHERE hour_start < ?", now.minus(hourly));
        int failures = update("DELETE FROM check_result WHERE at < ?", now.minus(raw));
        int alerts = update("DELETE FROM alert WHERE status = 'sent' AND sent_at < ?", now.minus(java.time.Duration.ofDays(30)));
        return new int[] { packed, hours, failures, alerts };
    }

    private HourBlock load(String check, Instant hour) {
        HourBlock[] found = new HourBlock[1];
        query("SELECT * FROM check_hour WHERE check_name = ? AND hour_start = ?", rs -> found[0] = new HourBlock(check, hour,
                rs.getInt("total"), rs.getInt("ok"), rs.getLong("latency_sum"), rs.getInt("latency_max"), rs.getBytes("data")),
                check, hour);
        return found[0] != null ? found[0] : new HourBlock(check, hour, 0, 0, 0, 0, null);
    }

    private static void write(Connection c, HourBlock block) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "MERGE INTO check_hour t USING (VALUES (CAST(? AS VARCHAR(64)), CAST(? AS TIMESTAMP WITH TIME ZONE)))"
                        + " AS s(check_name, hour_start) ON t.check_name = s.check_name AND t.hour_start = s.hour_start"
                        + " WHEN MATCHED THEN UPDATE SET total = ?, ok = ?, latency_sum = ?, latency_max = ?, data = ?"
                        + " WHEN NOT MATCHED THEN INSERT (check_name, hour_start, total, ok, latency_sum, latency_max, data)"
                        + " VALUES (s.check_name, s.hour_start, ?, ?, ?, ?, ?)")) {
            s.setString(1, block.check);
            s.setTimestamp(2, Timestamp.from(block.hour));
            for (int offset : new int[] { 3, 8 }) {
                s.setInt(offset, block.total);
                s.setInt(offset + 1, block.ok);
                s.setLong(offset + 2, block.latencySum);
                s.setInt(offset + 3, block.latencyMax);
                s.setBytes(offset + 4, block.data);
            }
            s.executeUpdate();
        }
    }

    /** A day's results of a check: how many, how many succeeded. */
    public record Day(java.time.LocalDate day, long total, long ok) {
    }

    /** Results per UTC day since {@code from}, oldest first (from the hourly aggregates). */
    public List<Day> days(String check, Instant from) {
        flush();
        List<Day> out = new ArrayList<>();
        query("SELECT CAST(hour_start AS DATE) AS d, SUM(total) AS total, SUM(ok) AS good FROM check_hour"
                + " WHERE check_name = ? AND hour_start >= ? GROUP BY CAST(hour_start AS DATE) ORDER BY d",
                rs -> out.add(new Day(rs.getDate("d").toLocalDate(), rs.getLong("total"), rs.getLong("good"))), check, from);
        return out;
    }

    /** @param layer the layer that failed (tunnel, proxy, origin), or null when the answers did not say */
    public Incident openIncident(String check, Instant startedAt, String cause, String summary, int failures, String layer) {
        long id = insert("INSERT INTO incident (check_name, started_at, cause, summary, failures, layer) VALUES (?, ?, ?, ?, ?, ?)",
                check, startedAt, cause, summary, (long) failures, layer);
        return incident(id).orElseThrow();
    }

    public void resolveIncident(long id, Instant endedAt) {
        update("UPDATE incident SET ended_at = ? WHERE id = ?", endedAt, id);
    }

    public void noteIncident(long id, String note) {
        update("UPDATE incident SET note = ? WHERE id = ?", note, id);
    }

    public Optional<Incident> incident(long id) {
        List<Incident> found = incidents("SELECT * FROM incident WHERE id = ?", id);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    public List<Incident> openIncidents() {
        return incidents("SELECT * FROM incident WHERE ended_at IS NULL ORDER BY id");
    }

    /** Newest first; {@code check} null for all. */
    public List<Incident> incidents(String check, int limit) {
        return check == null
                ? incidents("SELECT * FROM incident ORDER BY id DESC FETCH FIRST " + limit + " ROWS ONLY")
                : incidents("SELECT * FROM incident WHERE check_name = ? ORDER BY id DESC FETCH FIRST " + limit + " ROWS ONLY",
                        check);
    }

    /** A note on the status page, from the API ({@code style}: info, warning, danger or success). */
    public record Announcement(long id, String title, String body, String style, Instant createdAt) {
    }

    public Announcement announce(String title, String body, String style) {
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        long id = insert("INSERT INTO announcement (title, body, style, created_at) VALUES (?, ?, ?, ?)", title, body, style, now);
        return new Announcement(id, title, body, style, now);
    }

    /** Newest first. */
    public List<Announcement> announcements() {
        List<Announcement> out = new ArrayList<>();
        query("SELECT * FROM announcement ORDER BY id DESC", rs -> out.add(new Announcement(rs.getLong("id"),
                rs.getString("title"), rs.getString("body"), rs.getString("style"), instant(rs, "created_at"))));
        return out;
    }

    /** False when there was no such announcement. */
    public boolean unannounce(long id) {
        return update("DELETE FROM announcement WHERE id = ?", id) > 0;
    }

    public long alert(long incidentId, String channel, String kind, String payload, String status) {
        Instant now = Instant.now();
        return insert("INSERT INTO alert (incident_id, channel, kind, payload, status, attempts, next_attempt_at, created_at)"
                + " VALUES (?, ?, ?, ?, ?, 0, ?, ?)", incidentId, channel, kind, payload, status, now, now);
    }

    /** Alerts to send now: pending or retrying, due. */
    public List<Alert> dueAlerts(Instant now) {
        return alerts("SELECT * FROM alert WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ? ORDER BY id", now);
    }

    public List<Alert> alerts(String status, int limit) {
        return status == null ? alerts("SELECT * FROM alert ORDER BY id DESC FETCH FIRST " + limit + " ROWS ONLY")
                : alerts("SELECT * FROM alert WHERE status = ? ORDER BY id DESC FETCH FIRST " + limit + " ROWS ONLY", status);
    }

    public void alertSent(long id) {
        update("UPDATE alert SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE id = ?",
                Instant.now(), id);
    }

    public void alertFailed(long id, String error, Instant nextAttempt) {
        update("UPDATE alert SET status = 'retrying', attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                error.length() > 1000 ? error.substring(0, 999) : error, nextAttempt, id);
    }

    public void saveCheck(String name, String settingsJson) {
        update("DELETE FROM api_check WHERE name = ?", name);
        update("INSERT INTO api_check (name, settings, created_at) VALUES (?, ?, ?)", name, settingsJson, Instant.now());
    }

    public boolean deleteCheck(String name) {
        return update("DELETE FROM api_check WHERE name = ?", name) > 0;
    }

    /** Checks made through the API: name → settings JSON. */
    public Map<String, String> apiChecks() {
        Map<String, String> out = new LinkedHashMap<>();
        query("SELECT name, settings FROM api_check ORDER BY name", rs -> out.put(rs.getString(1), rs.getString(2)));
        return out;
    }

    // ------------------------------------------------------------------ plumbing

    private interface Row {
        void read(ResultSet rs) throws SQLException;
    }

    private List<Incident> incidents(String sql, Object... args) {
        List<Incident> out = new ArrayList<>();
        query(sql, rs -> out.add(new Incident(rs.getLong("id"), rs.getString("check_name"), instant(rs, "started_at"),
                instant(rs, "ended_at"), rs.getString("cause"), rs.getString("summary"), rs.getInt("failures"),
                rs.getString("note"), rs.getString("layer"))), args);
        return out;
    }

    private List<Alert> alerts(String sql, Object... args) {
        List<Alert> out = new ArrayList<>();
        query(sql, rs -> out.add(new Alert(rs.getLong("id"), rs.getLong("incident_id"), rs.getString("channel"),
                rs.getString("kind"), rs.getString("payload"), rs.getString("status"), rs.getInt("attempts"),
                rs.getString("last_error"), instant(rs, "next_attempt_at"), instant(rs, "created_at"), instant(rs, "sent_at"))),
                args);
        return out;
    }

    private void query(String sql, Row row, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = prepare(c, sql, false, args);
                ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                row.read(rs);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("monitor database: " + e.getMessage(), e);
        }
    }

    private int update(String sql, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = prepare(c, sql, false, args)) {
            return s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("monitor database: " + e.getMessage(), e);
        }
    }

    private long insert(String sql, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = prepare(c, sql, true, args)) {
            s.executeUpdate();
            try (ResultSet keys = s.getGeneratedKeys()) {
                keys.next();
                return keys.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("monitor database: " + e.getMessage(), e);
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, boolean keys, Object... args) throws SQLException {
        PreparedStatement s = keys ? c.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS) : c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            Object arg = args[i];
            if (arg == null) {
                s.setNull(i + 1, Types.VARCHAR);
            } else if (arg instanceof Instant instant) {
                s.setTimestamp(i + 1, Timestamp.from(instant));
            } else if (arg instanceof Long number) {
                s.setLong(i + 1, number);
            } else if (arg instanceof Integer number) {
                s.setInt(i + 1, number);
            } else if (arg instanceof Boolean flag) {
                s.setBoolean(i + 1, flag);
            } else {
                s.setString(i + 1, arg.toString());
            }
        }
        return s;
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp value = rs.getTimestamp(column);
        return value == null ? null : value.toInstant();
    }
}
