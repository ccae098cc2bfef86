package dev.ltx4j.vfs;

import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseStatus;
import dev.ltx4j.syncer.EngineMetrics;
import dev.ltx4j.syncer.MetricsSource;
import dev.ltx4j.syncer.FollowerStatus;
import dev.ltx4j.vfs.engine.EngineVfsDatabase;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;

/**
 * Control of one database served by a registered VFS, from Java: {@link #status()}, {@link #syncNow()},
 * {@link #refresh()}, {@link #health()} and {@link #retryOnConflict}. Get one from
 * {@link LitestreamVfs.Registration#database}. It addresses the same process-wide engine state as every
 * connection to the database (pooled or not), and holds a reference to it: the database stays open (and keeps
 * syncing or polling) until the last connection and handle are closed. Thread-safe.
 *
 * <pre>{@code
 * try (LitestreamDatabase db = vfs.database(Path.of("app.db"))) {
 *     DataSource pool = new HikariDataSource(hikariConfigWith(vfs.dataSource(Path.of("app.db"))));
 *     db.retryOnConflict(3, Duration.ofMillis(100), () -> insertEvent(pool, data));
 *     if (!db.health().isUp()) log.warn(db.health().reason());
 * }
 * }</pre>
 */
public final class LitestreamDatabase implements AutoCloseable, MetricsSource {
    private final EngineVfsDatabase view;
    private final Database db;
    private final Duration maxLag;
    private final java.util.function.Consumer<LitestreamDatabase> onClose;
    private volatile boolean closed;

    /** @param onClose told once when this handle closes (the registration's list of open handles) */
    LitestreamDatabase(EngineVfsDatabase view, Duration maxLag, java.util.function.Consumer<LitestreamDatabase> onClose) {
        this.view = view;
        this.db = view.database();
        this.maxLag = maxLag;
        this.onClose = onClose;
    }

    /** The database name the VFS received (SQLite's full path name). */
    @Override
    public String name() {
        return db.name();
    }

    /**
     * The engine's counters and gauges (docs/metrics-and-logs.md); bind them to a Micrometer registry with
     * {@code LtxMetrics.bind(handle, "app.db", registry)} (module {@code ltx4j-micrometer}) while the handle is open.
     */
    @Override
    public EngineMetrics metrics() {
        checkOpen();
        return db.metrics();
    }

    /** The engine's {@code Database}: every handle of one open database shares its counters. */
    @Override
    public Object engineIdentity() {
        return db;
    }

    /** A typed snapshot of what {@code litestream_status()} shows as JSON. */
    @Override
    public DatabaseStatus status() {
        checkOpen();
        return db.status();
    }

    /**
     * Write mode: uploads everything committed now and waits; returns the replica TXID (16 hex digits). Read mode:
     * polls the replica once and returns the TXID it serves.
     *
     * @throws LitestreamConflictException when the database is conflicted (recover with {@link #refresh()})
     * @throws SQLException                when the upload (or poll) failed; committed transactions stay buffered
     */
    public String syncNow() throws SQLException {
        checkOpen();
        return OffVirtualThread.call("sync-now", name(), this::syncHere);
    }

    private String syncHere() throws SQLException {
        try {
            return view.syncNow();
        } catch (ReplicaConflictException e) {
            throw new LitestreamConflictException(e.getMessage(), null);
        } catch (IOException e) {
            // Said once: the engine's message may already say "sync failed" and name the database.
            String m = String.valueOf(e.getMessage());
            m = m.startsWith("sync failed: ") ? m.substring("sync failed: ".length()) : m;
            throw new SQLException((m.contains("\"" + name() + "\"") ? "sync failed: "
                    : "sync of database " + name() + " failed: ") + m, e);
        }
    }

    /**
     * Recovers from a conflict (or a stopped write buffer): saves what was not synced under {@code conflicts/} next
     * to the write buffer, drops the local state and reloads the replica's. Waits for an open write transaction to
     * end. Read mode: reloads the replica from scratch. The same as {@code PRAGMA litestream_refresh}.
     */
    public void refresh() throws SQLException {
        checkOpen();
        OffVirtualThread.callUnbounded("refresh", name(), () -> {
            try {
                db.refresh();
            } catch (IOException e) {
                throw new SQLException("refresh of database " + name() + " failed: " + e.getMessage(), e);
            }
            return null;
        });
    }

    /**
     * Runs {@code work} (typically one transaction on a pooled connection) up to {@code attempts} times while it
     * fails with a replica conflict ({@link LitestreamConflictException#isConflict}): before each retry, refreshes
     * the database if it is conflicted, then pauses {@code pause}. The Java form of the retry loop in Litestream's
     * VFS documentation, with the refresh it needs (without one every retry fails the same way). Last writer wins:
     * use it for work that is right to apply on top of the rival's state (appends, idempotent upserts). Other
     * errors are thrown at once; after the last attempt the conflict is thrown.
     */
    public <T> T retryOnConflict(int attempts, Duration pause, SqlWork<T> work) throws SQLException {
        if (attempts < 1) throw new IllegalArgumentException("attempts must be at least 1, not " + attempts);
        Objects.requireNonNull(pause, "pause");
        Objects.requireNonNull(work, "work");
        for (int attempt = 1; ; attempt++) {
            try {
                return work.run();
            } catch (SQLException e) {
                if (!LitestreamConflictException.isConflict(e) || attempt >= attempts) throw e;
            }
            if (status().conflict() != null) refresh();
            pause(pause);
        }
    }

    /** Work for {@link #retryOnConflict}. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run() throws SQLException;
    }

    private static void pause(Duration d) throws SQLException {
        if (d.isZero() || d.isNegative()) return;
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting to retry after a conflict", e);
        }
    }

    /**
     * The health with the lag allowed by {@link LitestreamVfs.Registration#database(java.nio.file.Path, Duration)}
     * (default 1 minute): DOWN when writes or reads fail until someone acts, DEGRADED when the replica is behind,
     * else UP. See {@link Health.State}.
     */
    public Health health() {
        if (closed) return new Health(Health.State.DOWN, "the handle of database " + db.name() + " is closed");
        DatabaseStatus s = db.status();
        if (s.conflict() != null) {
            return new Health(Health.State.DOWN, s.conflict().message()
                    + " (writes are refused until LitestreamDatabase.refresh() or PRAGMA litestream_refresh)");
        }
        String error = s.lastError();
        if (error != null && error.contains("stopped after an I/O failure")) {
            return new Health(Health.State.DOWN, error + " (writes fail until LitestreamDatabase.refresh() or a reopen)");
        }
        FollowerStatus f = s.follower();
        if (f != null && f.divergence() != null && f.divergence().readsRefused()) {
            return new Health(Health.State.DOWN, "replica diverged, reads refused: " + f.divergence().reason()
                    + " (LitestreamDatabase.refresh() reloads it)");
        }
        if (error != null) return new Health(Health.State.DEGRADED, error + " (retried every interval)");
        if (s.mode().equals("write") && s.pendingCommits() > 0) {
            long now = view.clock().millis();
            long since = s.lastSyncMillis() < 0 ? -1 : now - s.lastSyncMillis();
            if (since > maxLag.toMillis()) {
                return new Health(Health.State.DEGRADED, s.pendingCommits() + " committed transaction(s) not uploaded;"
                        + " last sync " + since + " ms ago (allowed " + maxLag.toMillis() + " ms)");
            }
        }
        return Health.up();
    }

    /** Releases this handle's reference; the last reference (connection or handle) closes the database. */
    @Override
    public void close() throws SQLException {
        synchronized (this) { // an application close racing unregister's: the reference is released once
            if (closed) return;
            closed = true;
        }
        onClose.accept(this);
        OffVirtualThread.call("close", db.name(), () -> { // the last reference's final sync takes the engine's locks
            try {
                view.close();
            } catch (IOException e) {
                throw new SQLException("closing database " + db.name() + ": " + e.getMessage(), e);
            }
            return null;
        });
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("the handle of database " + db.name() + " is closed");
    }
}
