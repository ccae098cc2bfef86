package dev.ltx4j.syncer;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.compaction.Compactor;
import dev.ltx4j.compaction.LevelStatus;
import dev.ltx4j.compaction.RecentUploads;
import dev.ltx4j.compaction.RetentionStatus;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A writer's compaction, snapshots and retention (issue 10): one {@link Compactor} over the engine's replica client,
 * stepped by the scheduler on a lane of its own (a long snapshot never delays a sync or blocks a commit) or
 * directly by a simulator or test ({@link Database#compactOnce}). Compaction only reads and creates replica files
 * and deletes files retention no longer needs: it writes no engine state. Readers whose files it deletes re-plan
 * (relocation, docs/engine-invariants.md). Read mode has no compactor. Logs what each step did at info and
 * failures at warn (once per distinct error). Steps only while there is work ({@link LaneIdleness}).
 */
final class CompactionLane {
    /** The most often the lane looks for due work; a step with nothing due makes no request. */
    private static final Duration MAX_TICK = Duration.ofSeconds(1);

    private final Database db;
    private final CompactionSettings settings;
    /** Null when nothing runs (read mode, or compaction off): status then shows the settings only. */
    private final Compactor compactor;
    private final CompactionStatus idle;
    private volatile CompactionStatus last;
    /** What the levels hold of the writer's syncs, and when time alone makes work due: when to step at all. */
    private final LaneIdleness idleness;
    /** The bytes of the writer's recent uploads, which its compaction reuses instead of downloading; or null. */
    private final RecentUploads uploads;
    /** The highest TXID of the writer's uploads counted in the status's files per level. */
    private final AtomicLong counted = new AtomicLong();

    CompactionLane(Database db, ReplicaClient client) {
        this.db = db;
        this.settings = db.options.compaction();
        Compactor c = new Compactor(client, settings, db.options.compactionFaults);
        this.idle = c.status();
        this.compactor = db.writeMode && settings.enabled() ? c : null;
        this.last = idle;
        this.idleness = new LaneIdleness(settings);
        this.uploads = compactor != null && settings.uploadCacheBytes() > 0
                ? new RecentUploads(settings.uploadCacheBytes()) : null;
        if (uploads != null) {
            c.reuseUploads(uploads, db.options.faults.reuseUnverifiedUpload);
        }
    }

    /**
     * Keeps the bytes of level-0 file {@code txid}, which the store holds exactly as {@code body} (a create that
     * succeeded, or one whose read-back found this writer's file), for the compaction that merges it
     * (docs/compaction-upload-reuse.md). Best effort: bytes that cannot be read are simply not kept.
     */
    void uploaded(long txid, LtxBody body) {
        if (compactor != null && countOnce(txid)) { // TXIDs are unsigned: 2^63 and above are negative longs
            compactor.noteCreated(new LtxFileInfo(0, txid, txid, 0, null)); // files_per_level stays current
        }
        if (uploads == null) {
            return;
        }
        try {
            uploads.uploaded(new LtxFileInfo(0, txid, txid, body.length(), null), body);
        } catch (IOException | RuntimeException e) {
            Database.log().debug("database \"{}\": not keeping the bytes of L0 {}: {}", db.name, txid, e.toString());
        }
    }

    /**
     * Whether {@code txid} is above the highest counted one, making it the highest (once per TXID: a fault switch
     * keeps some bytes before the store confirmed them, too). Atomic, as the sync lane and a caller may both upload;
     * not under the lane's monitor, which a (slow) step holds.
     */
    private boolean countOnce(long txid) {
        while (true) {
            long c = counted.get();
            if (Txid.compare(txid, c) <= 0) {
                return false;
            }
            if (counted.compareAndSet(c, txid)) {
                return true;
            }
        }
    }

    /** Drops the kept uploads (the replica was reloaded: refresh). */
    void forgetUploads() {
        counted.set(0); // another history may reuse the TXIDs
        if (uploads != null) {
            uploads.clear();
        }
    }

    /** The kept uploads (tests, status); null when none are kept. */
    RecentUploads uploads() {
        return uploads;
    }

    /** Whether this database compacts (write mode with compaction on). */
    boolean enabled() {
        return compactor != null;
    }

    /** How often the scheduler steps the lane: the shortest interval configured, at most one second. */
    Duration tick() {
        Duration t = MAX_TICK;
        for (Duration d : settings.levelIntervals()) {
            t = min(t, d);
        }
        if (settings.snapshotsEnabled()) {
            t = min(t, settings.snapshotInterval());
        }
        return t;
    }

    private static Duration min(Duration a, Duration b) {
        return b.compareTo(a) < 0 && !b.isZero() ? b : a;
    }

    /**
     * Runs whatever compaction, snapshot or retention is due at {@code now}, one step at a time, but only when the
     * writer synced something the levels do not hold yet, or at one of the two wake-ups after the last sync (the
     * snapshot and retention that time makes due): an idle writer makes no request (docs/request-economy-writer.md).
     */
    synchronized CompactionStatus step(Instant now) {
        Objects.requireNonNull(now, "now");
        if (compactor == null) {
            return idle;
        }
        long synced = db.baseVersion().txid();
        long nanos = db.options.clock().nanoTime();
        compactor.observe(now, nanos); // every tick: an idle gap must not let a step pass as drift (Timeline)
        boolean wake = idleness.wakeDue(nanos); // monotonic deadlines: no wall-clock step or freeze moves them
        if (!idleness.needsStep(synced, nanos, compactor::levelDue) && !wake) {
            return last;
        }
        CompactionStatus before = last;
        // The engine clock's monotonic time: a wall-clock step neither delays snapshots nor shortens the grace.
        CompactionStatus after = compactor.step(now, nanos);
        last = after;
        idleness.stepped(synced, nanos, before, after, wake);
        report(before, after);
        return after;
    }

    /** The status as of the last step (never null). */
    CompactionStatus status() {
        return compactor == null ? idle : compactor.status();
    }

    /** {@code 24h}, {@code 15m}, {@code 1m30s}: durations as the settings write them. */
    private static String go(Duration d) {
        return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }

    private void report(CompactionStatus before, CompactionStatus after) {
        for (LevelStatus l : after.levels()) {
            LevelStatus b = before.level(l.level());
            long created = l.filesCreated() - (b == null ? 0 : b.filesCreated());
            if (created > 0) {
                Database.log().info("database \"{}\": {} {} ({} file(s) created at this level since open)", db.name,
                        l.level() == 9 ? "wrote snapshot" : "compacted into", l.lastFile(), l.filesCreated());
            }
            String was = b == null ? null : b.lastError();
            // Warn when a streak starts; a changed reason within it (its message names the file, which moves as
            // level 0 grows) goes to debug, or an outage of compaction alone would warn at every attempt.
            if (l.lastError() != null && was == null) {
                Database.log().warn("database \"{}\": {} into L{} failed: {}; retrying when due", db.name,
                        l.level() == 9 ? "snapshot" : "compaction", l.level(), l.lastError());
            } else if (l.lastError() != null && !l.lastError().equals(was)) {
                Database.log().debug("database \"{}\": {} into L{} failed again: {}", db.name,
                        l.level() == 9 ? "snapshot" : "compaction", l.level(), l.lastError());
            } else if (l.lastError() == null && was != null) {
                Database.log().info("database \"{}\": {} into L{} works again", db.name,
                        l.level() == 9 ? "snapshot" : "compaction", l.level());
            }
        }
        RetentionStatus r = after.retention();
        RetentionStatus rb = before.retention();
        if (r.lastRun() != null && !r.lastRun().equals(rb.lastRun()) && r.lastError() == null
                && r.lastRunFilesDeleted() > 0) {
            Database.log().info("database \"{}\": retention deleted {} file(s), {} bytes (window {}, grace {}; {}"
                    + " file(s) deleted since open)", db.name, r.lastRunFilesDeleted(), r.lastRunBytesDeleted(),
                    go(r.window()), go(r.grace()), r.filesDeleted());
        }
        if (r.lastError() != null && rb.lastError() == null) {
            Database.log().warn("database \"{}\": retention failed: {}; retrying when due", db.name, r.lastError());
        } else if (r.lastError() != null && !r.lastError().equals(rb.lastError())) {
            Database.log().debug("database \"{}\": retention failed again: {}", db.name, r.lastError());
        } else if (r.lastError() == null && rb.lastError() != null) {
            Database.log().info("database \"{}\": retention works again", db.name);
        }
    }
}
