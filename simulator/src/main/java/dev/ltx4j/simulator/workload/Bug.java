package dev.ltx4j.simulator.workload;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Test-only switches that put a known bug class back into a workload, to prove the oracles catch it. Never set
 * in a normal run. Labels W1, W3, ... name the reference VFS flaw a switch re-creates: docs/reference-flaws.md.
 */
public enum Bug {
    /** Log writer, engine: fsyncs report success but persist nothing (W5: the buffer is never fsynced). */
    SKIP_FSYNC,
    /** Log writer: runs with durability NONE while the oracle expects LOCAL (acknowledged = durable). */
    NONE_AS_LOCAL,
    /**
     * Uploader, engine: unconditional PUT instead of create-if-absent (W3: last writer wins, silently); the
     * engine gets a replica-client decorator whose create overwrites.
     */
    OVERWRITE_UPLOAD,
    /**
     * Uploader: an ambiguous upload is treated as failed and the transaction redone on top (W3 self-conflict).
     * Engine: a replica-client decorator turns {@code ReplicaOutcomeUnknownException} into a transient failure.
     */
    AMBIGUOUS_AS_FAILED,
    /** Engine: a sync uploads a transaction without its last page (engine hook). */
    CUT_SYNC_MID_TRANSACTION,
    /** Engine: after an upload the page map keeps stale pre-upload entries (W1; engine hook). */
    FORGET_OWN_UPLOAD,
    /** Engine: an upload after a shrink keeps the previous, larger commit (engine hook). */
    IGNORE_SHRINK,
    /**
     * Engine, sql: the VFS shows SQLite a WAL-format page 1 as stored (bytes 18/19 = 2, the change counter a WAL
     * writer never advances) instead of in rollback-journal format ({@code PageOneView} hook).
     */
    WAL_PAGE_ONE,
    /**
     * Log writer, engine: a buffer damaged before intact, forced commits is recovered as if the damage were a
     * torn tail, silently dropping acknowledged commits (pagestore hook; the behaviour before the fix).
     */
    SILENT_BUFFER_TRUNCATION,
    /**
     * Follower: read-mode polls apply new replica files without checking that they continue the held state, and
     * never notice a replaced or rewound replica (issue 16; engine hook).
     */
    SKIP_FOLLOWER_CONTINUITY,
    /**
     * Sql: a conflict snapshots the buffer outside the commit gate and raises the conflict only after saving it
     * (issue 8 item 3), so a commit acknowledged in between is in neither the replica nor the conflict file
     * (engine hook).
     */
    CONFLICT_SNAPSHOT_RACE,
    /**
     * Corruption: replica pages are served without verifying their files (engine hook), so a bit flipped at rest
     * reaches readers as wrong data.
     */
    SKIP_PAGE_VERIFICATION,
    /**
     * Corruption: a read-mode follower takes a checksum mismatch between two replica files as divergence without
     * verifying either (engine hook), so a bit flipped in one file's stored checksum is blamed on its healthy
     * successor and reads are refused.
     */
    TRUST_UNVERIFIED_CHECKSUMS,
    /**
     * Sql: a page write of a transaction that a conflict overtook fails SQLite's xWrite (SQLITE_BUSY_SNAPSHOT)
     * instead of being refused at the commit; SQLite's rollback then fails too and keeps the refused transaction in
     * its cache, and the connection's next commit is acknowledged without reaching the engine (VFS hook).
     */
    CONFLICTED_WRITE_FAILS,
    /**
     * Hydration: the hydrated file serves a page whenever it holds one, whatever version the reader pinned, so a
     * read transaction pinned before the file moved on sees newer pages (hydrator hook).
     */
    HYDRATE_IGNORE_PIN,
    /**
     * Hydration: after a restart the hydrated file is reused on its sidecar's word without checking its contents,
     * so a file damaged while the process was down is served (hydrator hook).
     */
    HYDRATE_TRUST_SIDECAR,
    /**
     * Time travel: a time resolves to the newest state committed strictly before it (the reference's rule) instead
     * of at or before it (engine hook); the {@code timetravel} scenario's exact-time targets catch it.
     */
    TIME_TRAVEL_STRICTLY_BEFORE,
    /**
     * Sql-readers: a read transaction whose pinned version another connection's commit overtook may still start
     * writing (readers hold no SHARED lock, docs/concurrent-readers.md); SQLite then commits its stale cached pages
     * over the newer state, a lost update (VFS hook).
     */
    STALE_SNAPSHOT_WRITE,
    /**
     * Sql-readers: the VFS's version stamp never moves (engine hook: no version-change announcements), so a connection
     * keeps reusing the snapshot of its first read transaction and answers SQLite's size and change-counter probe from
     * it (docs/concurrent-readers.md, "Kept snapshots"); its reads miss every later commit.
     */
    STALE_VERSION_STAMP,
    /**
     * Sql-readers: a commit does not tell the VFS's native page view which pages it changed (engine hook), so readers
     * keep copying the pages they read before it from native memory (docs/concurrent-readers.md, "Native page view").
     */
    STALE_PAGE_VIEW,
    /**
     * Sql-readers: the VFS skips its stale-snapshot check when a conflict refused the write session (engine hook), so
     * a read transaction overtaken by a commit before the conflict may still write; one that changes nothing (an
     * UPDATE that finds no row in its stale snapshot) is acknowledged (seeds 642, 748).
     */
    STALE_WRITE_WHILE_CONFLICTED,
    /**
     * Sql, sql-readers: the VFS keeps the read snapshot a connection's own commit re-pinned and reuses it at the
     * connection's next statements without checking the version stamp (engine hook, native side), so the connection
     * misses every later commit of other connections until it writes again (docs/group-commit.md, "Crossings of a
     * commit").
     */
    STALE_OWN_COMMIT_SNAPSHOT,
    /**
     * Compaction: retention ignores the grace period and the retention window ({@code CompactionFaults.deleteTooEarly}),
     * deleting files that TXIDs inside the window need.
     */
    DELETE_TOO_EARLY,
    /**
     * Compaction: a compaction merges inputs that are not contiguous ({@code CompactionFaults.compactAcrossGap}), so
     * its output claims TXIDs whose pages it lacks.
     */
    COMPACT_ACROSS_GAP,
    /**
     * Engine, sql, compaction: a sync uploads without its pre-upload conflict check (engine hook
     * {@code EngineFaults.skipSyncCheck}), so only create-if-absent guards it, which misses another writer whose
     * level-0 file at the base + 1 was compacted into a higher level and deleted by retention.
     */
    SKIP_SYNC_CHECK,
    /**
     * Compaction: a reader relocating a page whose file was deleted re-plans from the listing alone, without the files
     * the engine knows (its own uploads, the files its state was built from), so a lagging listing makes the writer's
     * own published TXID unreachable (engine hook; seed 44).
     */
    RELOCATE_FROM_LISTING_ONLY,
    /**
     * Compaction, engine: a sync meeting a file at its base + 1 adopts it only by byte identity or by the in-memory
     * record of a create of unknown outcome, never by proving the replica holds its state (engine hook
     * {@code EngineFaults.forgetOwnStateAfterRestart}), so a writer that crashed after a create whose outcome was
     * unknown and committed the same changes again raises a false conflict on its own file (the compaction scenario's
     * deliberate step {@code lost-upload-restart}; first found as seed 5048).
     */
    FORGET_OWN_STATE_AFTER_RESTART,
    /**
     * Compaction: the writer keeps an upload's bytes for its compaction before the store confirmed the create, and its
     * compactor serves kept bytes on name and size alone, without reading the stored trailers (engine hook
     * {@code EngineFaults.reuseUnverifiedUpload}), so a rival's file that won the name in a create race is merged with
     * this writer's bytes (docs/compaction-upload-reuse.md).
     */
    REUSE_UNVERIFIED_UPLOAD,
    /**
     * Engine, sql: a commit keeps each page's previously recorded LTX page checksum in the page map instead of leaving
     * it unknown (engine hook {@code EngineFaults.stalePageChecksum}); page checksums are no longer computed on the
     * committing thread but by the sync from the buffer record it encodes (docs/durable-commit-cost.md), and a stale
     * one makes the sync upload a file whose checksums do not match its pages.
     */
    STALE_PAGE_CHECKSUM,
    /**
     * Log writer: after a write finds the disk full the buffer goes on appending after whatever the failed write left
     * instead of cutting it off (pagestore hook {@code BufferFaults.keepTornTailAfterFullDisk}), so recovery stops at
     * the torn records and drops the acknowledged commits after them.
     */
    KEEP_TORN_TAIL_AFTER_FULL_DISK,
    /**
     * Log writer: recovery ignores that a log rewrite wrote into a reused file (pagestore hook
     * {@code BufferFaults.zeroTailOnReusedFile}: the header's stale end is not used), so after an ordinary crash the
     * older generation's bytes beyond the last record count as non-zero garbage and the torn tail is reported as
     * corruption (docs/sync-cost.md, F2).
     */
    ZERO_TAIL_ON_REUSED_FILE,
    /**
     * Log writer: opening the buffer never makes its directory's own entry durable (pagestore hook
     * {@code BufferFaults.skipDirectoryEntrySync}, the behaviour before session 15's power-cut probe), so a crash takes
     * the new buffer directory with every acknowledged commit in it (the disk models a directory created with the
     * buffer: {@code MemoryLogStorage.newDirectory}; docs/write-buffer-recovery.md, "Power cuts").
     */
    SKIP_DIRECTORY_ENTRY_SYNC,
    /**
     * Engine: a sync round runs on a database that close already marked closed (engine hook
     * {@code EngineFaults.roundAfterClose}), as a durability-REMOTE commit paused between its unknown-outcome rounds
     * did while another thread closed the database; at close's release point the round adopts the landed upload into
     * generations close already dropped and the buffer handle it opens is never closed (the engine scenario's REMOTE
     * restart, {@code CloseDuringRemoteWait}: {@code resource-leak}).
     */
    ROUND_AFTER_CLOSE,
    /**
     * Engine: after a failed fsync stopped the write buffer, its sync uploads every transaction the buffer holds,
     * also the one whose commit's force failed (engine hook {@code EngineFaults.syncPastDurablePrefix}), instead of
     * the durable prefix alone (docs/write-buffer-recovery.md, "After a failed fsync"): the engine writer's sync of
     * the stopped buffer ({@code durable-prefix}).
     */
    SYNC_PAST_DURABLE_PREFIX,
    /**
     * Engine: an adoption of an own upload whose buffer rewrite replaced the file, then stopped the buffer (its
     * directory sync failed), is not recorded (engine hook {@code EngineFaults.forgetLandedAdoption}): the published
     * version keeps pages of the adopted transactions in the released generation and the buffer's base is one the
     * engine never recorded (docs/write-buffer-recovery.md, "After a failed fsync").
     */
    FORGET_LANDED_ADOPTION,
    /**
     * Compaction: levels and retention are due at their last run plus their interval on the wall clock, a last run
     * "in the future" making them due at once (compaction hook {@code CompactionFaults.wallClockSchedule}, the schedule
     * before session 12), so a clock step runs them early: {@code schedule-elapsed} under {@code clock-step}.
     */
    WALL_CLOCK_SCHEDULE,
    /**
     * Compaction: the retention window and grace cut are measured back from the wall clock alone (compaction hook
     * {@code CompactionFaults.wallClockWindow}, before session 12), so a forward clock step pushes the states it
     * jumped over out of the window: {@code retention} under {@code clock-step}.
     */
    WALL_CLOCK_WINDOW,
    /**
     * Engine: close's final sync times its retries against the close timeout on the wall clock (engine hook
     * {@code EngineFaults.closeRetriesOnWallClock}, before session 13), so a wall-clock step forward or a suspend
     * while it retries ends the close early, a step back stretches it: {@code close-retries} in the compaction
     * scenario's {@link CompactionScenario.CloseUnderClockStep}.
     */
    CLOSE_RETRIES_ON_WALL_CLOCK,
    /**
     * Sql-exclusive: the VFS shows a connection the stored change counter of a newer state even when it repeats the
     * bytes that connection's SQLite holds (engine hook {@code EngineFaults.unalteredChangeCounter}, the behaviour
     * before session 14's {@code ShownProbe}); a connection in {@code locking_mode=EXCLUSIVE} bumps the counter only in
     * its first commit under the lock, so another connection that read between its commits keeps its stale cache,
     * reads old rows and writes pages built on them (docs/concurrent-readers.md, "Change counter of another state").
     */
    UNALTERED_CHANGE_COUNTER;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses a comma list of names ({@code skip-fsync,overwrite-upload}); blank is none. */
    public static Set<Bug> parseList(String spec) {
        EnumSet<Bug> out = EnumSet.noneOf(Bug.class);
        if (spec == null || spec.isBlank() || spec.trim().equals("none")) {
            return out;
        }
        for (String s : spec.split(",")) {
            String key = s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            try {
                out.add(valueOf(key));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown bug switch \"" + s.trim() + "\"; known: "
                        + Arrays.stream(values()).map(Bug::cliName).toList(), e);
            }
        }
        return out;
    }
}
