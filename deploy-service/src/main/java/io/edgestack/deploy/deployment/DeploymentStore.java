package io.edgestack.deploy.deployment;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.ConfigProvider;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import io.quarkus.arc.InjectableInstance;
import io.edgestack.deploy.release.ReleaseRecord;

/**
 * Deployments and releases in the database (H2 file by default, PostgreSQL through the datasource config; schema by
 * Flyway). Plain JDBC: a handful of statements, each in its own transaction. Blocking: call from worker threads.
 */
@ApplicationScoped
public class DeploymentStore {

    private static final String COLUMNS = "id, site, kind, status, stage, ref, commit_sha, trigger_source, triggered_by,"
            + " release_name, previous_release, reason, purge_result, created_at, started_at, switched_at, finished_at,"
            + " build_millis";

    private final AgroalDataSource dataSource;
    private volatile Boolean h2;

    /** The H2 datasource, or the PostgreSQL one ({@code pg}) when that is the active one (profile {@code postgresql}). */
    public DeploymentStore(InjectableInstance<AgroalDataSource> h2, @DataSource("pg") InjectableInstance<AgroalDataSource> pg) {
        boolean postgresql = ConfigProvider.getConfig().getOptionalValue("quarkus.datasource.pg.active", Boolean.class)
                .orElse(false);
        this.dataSource = postgresql ? pg.get() : h2.get();
    }

    /** Records a new deployment and returns it with its id. */
    public Deployment insert(String site, String kind, String status, String ref, String trigger, String triggeredBy) {
        String sql = "INSERT INTO deployment (site, kind, status, ref, trigger_source, triggered_by, created_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)";
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS)) {
            s.setString(1, site);
            s.setString(2, kind);
            s.setString(3, status);
            s.setString(4, ref);
            s.setString(5, trigger);
            s.setString(6, clip(triggeredBy, 255));
            s.setTimestamp(7, Timestamp.from(Instant.now()));
            s.executeUpdate();
            durable(c);
            try (ResultSet keys = s.getGeneratedKeys()) {
                keys.next();
                return find(keys.getLong(1)).orElseThrow();
            }
        } catch (SQLException e) {
            throw new StoreException("could not record a deployment of " + site, e);
        }
    }

    public Optional<Deployment> find(long id) {
        List<Deployment> found = query("SELECT " + COLUMNS + " FROM deployment WHERE id = ?", id);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** Newest first, at most {@code limit}; {@code site} null for every site. */
    public List<Deployment> recent(String site, int limit) {
        return site == null
                ? query("SELECT " + COLUMNS + " FROM deployment ORDER BY id DESC FETCH FIRST " + limit + " ROWS ONLY")
                : query("SELECT " + COLUMNS + " FROM deployment WHERE site = ? ORDER BY id DESC FETCH FIRST " + limit
                        + " ROWS ONLY", site);
    }

    public List<Deployment> withStatus(String status) {
        return query("SELECT " + COLUMNS + " FROM deployment WHERE status = ? ORDER BY id", status);
    }

    public List<Deployment> withStatus(String site, String status) {
        return query("SELECT " + COLUMNS + " FROM deployment WHERE site = ? AND status = ? ORDER BY id", site, status);
    }

    /** The newest deployment of a site that made its release live (deploy or rollback). */
    public Optional<Deployment> lastLive(String site) {
        List<Deployment> found = query("SELECT " + COLUMNS + " FROM deployment WHERE site = ? AND switched_at IS NOT NULL"
                + " ORDER BY switched_at DESC, id DESC FETCH FIRST 1 ROWS ONLY", site);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    public void started(long id, String stage) {
        update("UPDATE deployment SET status = 'running', stage = ?, started_at = ? WHERE id = ?", stage, Instant.now(), id);
    }

    public void stage(long id, String stage) {
        update("UPDATE deployment SET stage = ? WHERE id = ?", stage, id);
    }

    public void commit(long id, String commit) {
        update("UPDATE deployment SET commit_sha = ? WHERE id = ?", commit, id);
    }

    public void built(long id, String release, long buildMillis) {
        update("UPDATE deployment SET release_name = ?, build_millis = ? WHERE id = ?", release, buildMillis, id);
    }

    public void switched(long id, String release, String previous) {
        update("UPDATE deployment SET release_name = ?, previous_release = ?, switched_at = ? WHERE id = ?",
                release, previous, Instant.now(), id);
    }

    public void purge(long id, String result) {
        update("UPDATE deployment SET purge_result = ? WHERE id = ?", clip(result, 1000), id);
    }

    public void finished(long id, String status, String reason) {
        update("UPDATE deployment SET status = ?, reason = ?, finished_at = ? WHERE id = ?", status, clip(reason, 4000),
                Instant.now(), id);
    }

    /** Adds to a finished deployment's reason (an automatic rollback says why its deploy was rolled back). */
    public void note(long id, String reason) {
        update("UPDATE deployment SET reason = ? WHERE id = ?", clip(reason, 4000), id);
    }

    // ------------------------------------------------------------------ releases

    public void insertRelease(ReleaseRecord release) {
        String sql = "INSERT INTO site_release (site, name, commit_sha, author, message, changed_files, build_millis,"
                + " triggered_by, deployment_id, state, state_reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, release.site());
            s.setString(2, release.name());
            s.setString(3, release.commit());
            s.setString(4, clip(release.author(), 255));
            s.setString(5, clip(release.message(), 4000));
            s.setString(6, String.join("\n", release.changedFiles()));
            s.setLong(7, release.buildMillis());
            s.setString(8, clip(release.triggeredBy(), 255));
            s.setLong(9, release.deploymentId());
            s.setString(10, release.state());
            s.setString(11, clip(release.stateReason(), 4000));
            s.setTimestamp(12, Timestamp.from(release.createdAt()));
            s.executeUpdate();
            durable(c);
        } catch (SQLException e) {
            throw new StoreException("could not record release " + release.name(), e);
        }
    }

    public void releaseState(String site, String name, String state, String reason) {
        update("UPDATE site_release SET state = ?, state_reason = ? WHERE site = ? AND name = ?", state, clip(reason, 4000),
                site, name);
    }

    public Optional<ReleaseRecord> release(String site, String name) {
        List<ReleaseRecord> found = releases("SELECT * FROM site_release WHERE site = ? AND name = ?", site, name);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** A site's releases, newest first. */
    public List<ReleaseRecord> releases(String site) {
        return releases("SELECT * FROM site_release WHERE site = ? ORDER BY created_at DESC, name DESC", site);
    }

    public void deleteRelease(String site, String name) {
        update("DELETE FROM site_release WHERE site = ? AND name = ?", site, name);
    }

    // ------------------------------------------------------------------ deploy locks

    /** A site's deploy lock: why, by whom, since when. */
    public record Lock(String site, String reason, String lockedBy, Instant lockedAt) {
    }

    /** Locks a site's deploys, or replaces the reason of its lock (keeping who locked it first and when). */
    public Lock lock(String site, String reason, String by) {
        Optional<Lock> held = lockOf(site);
        if (held.isPresent()) {
            update("UPDATE deploy_lock SET reason = ? WHERE site = ?", clip(reason, 1000), site);
        } else {
            update("INSERT INTO deploy_lock (site, reason, locked_by, locked_at) VALUES (?, ?, ?, ?)", site,
                    clip(reason, 1000), clip(by, 255), Instant.now());
        }
        return lockOf(site).orElseThrow();
    }

    /** Takes a site's lock away; false when it had none. */
    public boolean unlock(String site) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = prepare(c, "DELETE FROM deploy_lock WHERE site = ?", site)) {
            int removed = s.executeUpdate();
            durable(c);
            return removed > 0;
        } catch (SQLException e) {
            throw new StoreException("could not unlock " + site, e);
        }
    }

    public Optional<Lock> lockOf(String site) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = prepare(c, "SELECT site, reason, locked_by, locked_at FROM deploy_lock WHERE site = ?", site);
                ResultSet rs = s.executeQuery()) {
            return rs.next() ? Optional.of(new Lock(rs.getString("site"), rs.getString("reason"), rs.getString("locked_by"),
                    instant(rs, "locked_at"))) : Optional.empty();
        } catch (SQLException e) {
            throw new StoreException("could not read the lock of " + site, e);
        }
    }

    // ------------------------------------------------------------------ plumbing

    private List<ReleaseRecord> releases(String sql, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = prepare(c, sql, args);
                ResultSet rs = s.executeQuery()) {
            List<ReleaseRecord> out = new ArrayList<>();
            while (rs.next()) {
                String changed = rs.getString("changed_files");
                out.add(new ReleaseRecord(rs.getString("site"), rs.getString("name"), rs.getString("commit_sha"),
                        rs.getString("author"), rs.getString("message"),
                        changed == null || changed.isEmpty() ? List.of() : List.of(changed.split("\n")),
                        rs.getLong("build_millis"), rs.getString("triggered_by"), rs.getLong("deployment_id"),
                        rs.getString("state"), rs.getString("state_reason"), instant(rs, "created_at")));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("could not read releases", e);
        }
    }

    private List<Deployment> query(String sql, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = prepare(c, sql, args);
                ResultSet rs = s.executeQuery()) {
            List<Deployment> out = new ArrayList<>();
            while (rs.next()) {
                long build = rs.getLong("build_millis");
                Long buildMillis = rs.wasNull() ? null : build;
                out.add(new Deployment(rs.getLong("id"), rs.getString("site"), rs.getString("kind"), rs.getString("status"),
                        rs.getString("stage"), rs.getString("ref"), rs.getString("commit_sha"), rs.getString("trigger_source"),
                        rs.getString("triggered_by"), rs.getString("release_name"), rs.getString("previous_release"),
                        rs.getString("reason"), rs.getString("purge_result"), instant(rs, "created_at"),
                        instant(rs, "started_at"), instant(rs, "switched_at"), instant(rs, "finished_at"), buildMillis));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("could not read deployments", e);
        }
    }

    private void update(String sql, Object... args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = prepare(c, sql, args)) {
            s.executeUpdate();
            durable(c);
        } catch (SQLException e) {
            throw new StoreException("could not update deployments", e);
        }
    }

    /**
     * On H2, forces what was just committed into the file before the call returns, so a kill -9 loses nothing recorded
     * (H2 otherwise writes commits within its write delay; WRITE_DELAY=0 would do the same but stops the background
     * writer that reclaims rewritten pages). PostgreSQL's commits are durable already.
     */
    private void durable(Connection c) throws SQLException {
        if (h2 == null) {
            h2 = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("h2");
        }
        if (h2) {
            try (Statement checkpoint = c.createStatement()) {
                checkpoint.execute("CHECKPOINT SYNC");
            }
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement s = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            Object arg = args[i];
            if (arg == null) {
                s.setNull(i + 1, Types.VARCHAR);
            } else if (arg instanceof Instant instant) {
                s.setTimestamp(i + 1, Timestamp.from(instant));
            } else if (arg instanceof Long number) {
                s.setLong(i + 1, number);
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

    private static String clip(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }

    /** The database could not be read or written. */
    public static final class StoreException extends RuntimeException {
        StoreException(String message, SQLException cause) {
            super(message + ": " + cause.getMessage(), cause);
        }
    }
}
