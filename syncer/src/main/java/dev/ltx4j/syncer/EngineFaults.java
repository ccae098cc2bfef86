package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.BufferFaults;
import dev.ltx4j.pagestore.replica.PageRef;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Fault points of one engine, for the simulator's mutation tests: each switch re-introduces a known bug class so
 * the simulator can prove its oracles catch it, and {@link #preemption} lets a deterministic test run other steps
 * at chosen places. Carried by {@link EngineOptions} (so two engines in one process never share them) and read
 * from final fields on the hot path; {@link #NONE}, the default, is the engine as shipped. Immutable.
 */
public final class EngineFaults {
    /** No fault and no preemption. */
    public static final EngineFaults NONE = builder().build();

    /** Places in the engine where a deterministic test may run other steps (a simulated preemption). */
    public enum Point {
        /** A sync took its snapshot of the buffer and is about to upload it. */
        SYNC_SNAPSHOT,
        /** A conflict took the snapshot it saves (and, unless {@code conflictSnapshotRace}, raised the conflict). */
        CONFLICT_SNAPSHOT,
        /** A refresh reset the write buffer onto the replica's state and is about to publish it as the base. */
        REFRESH_RESET,
        /**
         * A relocation (on a reader's thread) read the sync base under the state lock and is about to patch it:
         * the one point called with the state lock held, for unit tests only.
         */
        RELOCATION_PATCH,
        /**
         * A close made its final sync, marked the database closed and dropped its buffer generations, and is about
         * to close the buffer (also a failed open's clean-up): a sync round that starts here (a {@code remote}
         * commit's next round after its pause, a direct caller's sync) must not touch the buffer or the replica.
         */
        CLOSE_RELEASE
    }

    final boolean cutSyncMidTransaction;
    final boolean forgetOwnUpload;
    final boolean ignoreShrink;
    final boolean skipFollowerContinuity;
    final boolean conflictSnapshotRace;
    final boolean skipPageVerification;
    final boolean trustUnverifiedChecksums;
    final boolean timeTravelStrictlyBefore;
    final boolean skipSyncCheck;
    final boolean ignoreLostReplica;
    final boolean relocateFromListingOnly;
    final boolean forgetOwnStateAfterRestart;
    final boolean reuseUnverifiedUpload;
    final boolean blindRemoteRetry;
    final boolean roundAfterClose;
    /** A stopped buffer's sync takes every committed transaction, also those whose force failed (off). */
    final boolean syncPastDurablePrefix;
    /** An adoption whose rewrite replaced the buffer's file and then stopped it is not recorded (off). */
    final boolean forgetLandedAdoption;
    /** Close's retries are timed on the wall clock, as before session 13 (off). */
    final boolean closeRetriesOnWallClock;
    private final boolean storedPageOne;
    private final boolean failConflictedWrites;
    private final boolean writeOnStaleSnapshot;
    private final boolean staleVersionStamp;
    private final boolean stalePageView;
    private final boolean staleWriteWhileConflicted;
    private final boolean stalePageChecksum;
    private final boolean keepOwnCommitBlindly;
    private final boolean unalteredChangeCounter;
    final BufferFaults buffer;
    private final Consumer<Point> preemption;

    private EngineFaults(Builder b) {
        this.cutSyncMidTransaction = b.cutSyncMidTransaction;
        this.forgetOwnUpload = b.forgetOwnUpload;
        this.ignoreShrink = b.ignoreShrink;
        this.skipFollowerContinuity = b.skipFollowerContinuity;
        this.conflictSnapshotRace = b.conflictSnapshotRace;
        this.skipPageVerification = b.skipPageVerification;
        this.trustUnverifiedChecksums = b.trustUnverifiedChecksums;
        this.timeTravelStrictlyBefore = b.timeTravelStrictlyBefore;
        this.skipSyncCheck = b.skipSyncCheck;
        this.ignoreLostReplica = b.ignoreLostReplica;
        this.relocateFromListingOnly = b.relocateFromListingOnly;
        this.forgetOwnStateAfterRestart = b.forgetOwnStateAfterRestart;
        this.reuseUnverifiedUpload = b.reuseUnverifiedUpload;
        this.blindRemoteRetry = b.blindRemoteRetry;
        this.roundAfterClose = b.roundAfterClose;
        this.syncPastDurablePrefix = b.syncPastDurablePrefix;
        this.forgetLandedAdoption = b.forgetLandedAdoption;
        this.closeRetriesOnWallClock = b.closeRetriesOnWallClock;
        this.storedPageOne = b.storedPageOne;
        this.failConflictedWrites = b.failConflictedWrites;
        this.writeOnStaleSnapshot = b.writeOnStaleSnapshot;
        this.staleVersionStamp = b.staleVersionStamp;
        this.stalePageView = b.stalePageView;
        this.staleWriteWhileConflicted = b.staleWriteWhileConflicted;
        this.stalePageChecksum = b.stalePageChecksum;
        this.keepOwnCommitBlindly = b.keepOwnCommitBlindly;
        this.unalteredChangeCounter = b.unalteredChangeCounter;
        this.buffer = new BufferFaults(b.silentDamageTruncation, false, false, b.syncPastDurablePrefix);
        this.preemption = b.preemption;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The VFS shows SQLite a WAL-format page 1 as stored (the behaviour before {@code PageOneView}). */
    public boolean storedPageOne() {
        return storedPageOne;
    }

    /** The VFS fails a page write that a conflict refuses, instead of refusing the commit (the old behaviour). */
    public boolean failConflictedWrites() {
        return failConflictedWrites;
    }

    /**
     * The VFS lets a write transaction start on a read transaction's pinned version that another connection's commit
     * has overtaken (readers hold no SHARED lock, docs/concurrent-readers.md), instead of refusing it.
     */
    public boolean writeOnStaleSnapshot() {
        return writeOnStaleSnapshot;
    }

    /**
     * The VFS reuses the snapshot it kept after a connection's own commit without checking that nothing changed since
     * ({@code stale-own-commit-snapshot}): the connection misses later commits of other connections.
     */
    public boolean keepOwnCommitBlindly() {
        return keepOwnCommitBlindly;
    }

    /**
     * The VFS shows a connection's SQLite the stored change counter of a state other than the one its cache is of even
     * when the probed bytes repeat (an exclusive-mode connection's later commits), as before session 14's
     * {@code ShownProbe} ({@code unaltered-change-counter}): that connection keeps its stale cache.
     */
    public boolean unalteredChangeCounter() {
        return unalteredChangeCounter;
    }

    /** The VFS does not hear of version changes, so connections keep reusing stale snapshots ({@code stale-version-stamp}). */
    public boolean staleVersionStamp() {
        return staleVersionStamp;
    }

    /** A commit does not tell the VFS's native page view which pages it changed ({@code stale-page-view}). */
    public boolean stalePageView() {
        return stalePageView;
    }

    /**
     * A commit keeps each page's previously recorded checksum instead of leaving it unknown for the sync to compute
     * ({@code stale-page-checksum}), so the sync encodes the new image under the old image's checksum.
     */
    public boolean stalePageChecksum() {
        return stalePageChecksum;
    }

    /**
     * The VFS skips its stale-snapshot check when a conflict refused the write session, so a write transaction that
     * writes nothing commits on an overtaken snapshot ({@code stale-write-while-conflicted}).
     */
    public boolean staleWriteWhileConflicted() {
        return staleWriteWhileConflicted;
    }

    /** The write buffer's fault points. */
    public BufferFaults buffer() {
        return buffer;
    }

    /**
     * Runs the preemption at {@code at}, if any; called with no engine lock held but {@code syncLock} (and the writer
     * slot at {@code REFRESH_RESET}), except at {@code RELOCATION_PATCH}, and with none at {@code CLOSE_RELEASE}.
     */
    void preempt(Point at) {
        Consumer<Point> p = preemption;
        if (p != null) {
            p.accept(at);
        }
    }

    long[] uploadPages(long[] pgnos) {
        return cutSyncMidTransaction && pgnos.length > 1 ? Arrays.copyOf(pgnos, pgnos.length - 1) : pgnos;
    }

    long uploadCommit(long commit, long previousCommit) {
        return ignoreShrink ? Math.max(commit, previousCommit) : commit;
    }

    /** The stale entry (null reads as zeros) instead of the uploaded page when {@code forgetOwnUpload} is on. */
    PageRef ownUploadEntry(PageRef indexed, PageRef stale) {
        return forgetOwnUpload ? stale : indexed;
    }

    /** Every switch off unless set; build once per engine. */
    public static final class Builder {
        private boolean cutSyncMidTransaction;
        private boolean forgetOwnUpload;
        private boolean ignoreShrink;
        private boolean skipFollowerContinuity;
        private boolean conflictSnapshotRace;
        private boolean skipPageVerification;
        private boolean trustUnverifiedChecksums;
        private boolean timeTravelStrictlyBefore;
        private boolean skipSyncCheck;
        private boolean ignoreLostReplica;
        private boolean relocateFromListingOnly;
        private boolean forgetOwnStateAfterRestart;
        private boolean reuseUnverifiedUpload;
        private boolean blindRemoteRetry;
        private boolean roundAfterClose;
        private boolean storedPageOne;
        private boolean failConflictedWrites;
        private boolean writeOnStaleSnapshot;
        private boolean staleVersionStamp;
        private boolean stalePageView;
        private boolean staleWriteWhileConflicted;
        private boolean stalePageChecksum;
        private boolean keepOwnCommitBlindly;
        private boolean unalteredChangeCounter;
        private boolean silentDamageTruncation;
        private boolean syncPastDurablePrefix;
        private boolean forgetLandedAdoption;
        private boolean closeRetriesOnWallClock;
        private Consumer<Point> preemption;

        private Builder() {}

        /** Upload a transaction with its last page left out (a sync cut in the middle of a transaction). */
        public Builder cutSyncMidTransaction(boolean v) {
            this.cutSyncMidTransaction = v;
            return this;
        }

        /** After an upload, leave the stale pre-upload entries in the page map (W1: own upload never indexed). */
        public Builder forgetOwnUpload(boolean v) {
            this.forgetOwnUpload = v;
            return this;
        }

        /** Upload with the previous, larger commit when the database shrank (the commit drop is ignored). */
        public Builder ignoreShrink(boolean v) {
            this.ignoreShrink = v;
            return this;
        }

        /**
         * Relocations re-plan from the listing alone, not with the files the engine knows exist (the behaviour
         * before the fix for listing lag, docs/compaction-engine.md).
         */
        public Builder relocateFromListingOnly(boolean v) {
            this.relocateFromListingOnly = v;
            return this;
        }

        /**
         * A sync meeting a file at its base + 1 adopts it only by byte identity or by the in-memory record of a create
         * of unknown outcome, never by proving the replica holds its state ({@code forget-own-state-after-restart}:
         * the behaviour before the fix, a false conflict after a crash; seed 5048).
         */
        public Builder forgetOwnStateAfterRestart(boolean v) {
            this.forgetOwnStateAfterRestart = v;
            return this;
        }

        /** Read mode: apply new replica files without checking that they continue the held state (issue 16). */
        public Builder skipFollowerContinuity(boolean v) {
            this.skipFollowerContinuity = v;
            return this;
        }

        /**
         * Take the conflict snapshot outside the commit gate and raise the conflict only after saving it (issue 8
         * item 3): commits acknowledged in between end up neither in the replica nor in the conflict file.
         */
        public Builder conflictSnapshotRace(boolean v) {
            this.conflictSnapshotRace = v;
            return this;
        }

        /** Serve replica pages without verifying their files (corrupt pages served). */
        public Builder skipPageVerification(boolean v) {
            this.skipPageVerification = v;
            return this;
        }

        /**
         * Read mode: take a checksum mismatch between replica files as divergence without verifying the files
         * (a bit flipped in one file's trailer is blamed on its healthy successor).
         */
        public Builder trustUnverifiedChecksums(boolean v) {
            this.trustUnverifiedChecksums = v;
            return this;
        }

        /**
         * Time travel resolves a time to the newest state committed strictly before it, as the reference does,
         * instead of at or before it ({@code time-travel-strictly-before}).
         */
        public Builder timeTravelStrictlyBefore(boolean v) {
            this.timeTravelStrictlyBefore = v;
            return this;
        }

        /**
         * A sync uploads without its pre-upload conflict check ({@code skip-sync-check}): only create-if-absent guards
         * it, which misses another writer whose level-0 files were compacted and deleted.
         */
        public Builder skipSyncCheck(boolean v) {
            this.skipSyncCheck = v;
            return this;
        }

        /**
         * A sync uploads onto a base the replica lost (its files deleted under the running writer) without noticing
         * (the behaviour before {@code LostBaseCheck}; {@code ReplicaLostTest}): the replica then holds a file nothing
         * can restore.
         */
        public Builder ignoreLostReplica(boolean v) {
            this.ignoreLostReplica = v;
            return this;
        }

        /**
         * The writer keeps an upload's bytes for its compaction before the store confirmed the create, and its
         * compactor serves kept bytes on name and size alone, without the store anchors ({@code
         * reuse-unverified-upload}): a rival's file that won the name is merged with this writer's bytes.
         */
        public Builder reuseUnverifiedUpload(boolean v) {
            this.reuseUnverifiedUpload = v;
            return this;
        }

        /**
         * A {@code remote}-durability commit whose upload's outcome is unknown fails at once as an upload failure,
         * without asking the replica what it holds (the behaviour before the fix): an application that runs the
         * transaction again stores it twice.
         */
        public Builder blindRemoteRetry(boolean v) {
            this.blindRemoteRetry = v;
            return this;
        }

        /**
         * A sync round runs on a database that close already marked closed (the behaviour before the fix): a
         * {@code remote} commit paused between its unknown-outcome rounds, or a direct sync caller, works on the
         * buffer and the replica while close releases them ({@code round-after-close}).
         */
        public Builder roundAfterClose(boolean v) {
            this.roundAfterClose = v;
            return this;
        }

        /** The VFS shows SQLite page 1 as stored, in WAL format ({@code wal-page-one}). */
        public Builder storedPageOne(boolean v) {
            this.storedPageOne = v;
            return this;
        }

        /** The VFS fails a conflicted page write in xWrite ({@code conflicted-write-fails}). */
        public Builder failConflictedWrites(boolean v) {
            this.failConflictedWrites = v;
            return this;
        }

        /** The VFS writes on an overtaken read snapshot ({@code stale-snapshot-write}). */
        public Builder writeOnStaleSnapshot(boolean v) {
            this.writeOnStaleSnapshot = v;
            return this;
        }

        /** The VFS's version stamp is never advanced ({@code stale-version-stamp}). */
        public Builder staleVersionStamp(boolean v) {
            this.staleVersionStamp = v;
            return this;
        }

        /** Commits do not name their pages to the VFS's native page view ({@code stale-page-view}). */
        public Builder stalePageView(boolean v) {
            this.stalePageView = v;
            return this;
        }

        /** Commits keep pages' previous checksums ({@code stale-page-checksum}). */
        public Builder stalePageChecksum(boolean v) {
            this.stalePageChecksum = v;
            return this;
        }

        /** The VFS skips the stale-snapshot check while conflicted ({@code stale-write-while-conflicted}). */
        public Builder staleWriteWhileConflicted(boolean v) {
            this.staleWriteWhileConflicted = v;
            return this;
        }

        /** The VFS reuses the snapshot kept after an own commit blindly ({@code stale-own-commit-snapshot}). */
        public Builder keepOwnCommitBlindly(boolean v) {
            this.keepOwnCommitBlindly = v;
            return this;
        }

        /** The VFS never alters a repeated change counter ({@code unaltered-change-counter}). */
        public Builder unalteredChangeCounter(boolean v) {
            this.unalteredChangeCounter = v;
            return this;
        }

        /**
         * After a failure stopped the write buffer, its sync uploads every transaction it holds, also those whose
         * commit's force failed (their commits failed), instead of the durable prefix alone
         * (docs/write-buffer-recovery.md, "After a failed fsync").
         */
        public Builder syncPastDurablePrefix(boolean v) {
            this.syncPastDurablePrefix = v;
            return this;
        }

        /**
         * An adoption's rewrite that replaced the buffer's file, then failed (its directory sync) and stopped the buffer,
         * is not recorded: the published version stays on the old base, its pages of the adopted transactions point
         * into the released generation (docs/write-buffer-recovery.md, "After a failed fsync").
         */
        public Builder forgetLandedAdoption(boolean v) {
            this.forgetLandedAdoption = v;
            return this;
        }

        /**
         * Close's final sync measures its retries against the close timeout on the engine clock's wall time, not its
         * monotonic time: a wall-clock step back stretches them by its size, one forward (or a suspend) cuts them.
         */
        public Builder closeRetriesOnWallClock(boolean v) {
            this.closeRetriesOnWallClock = v;
            return this;
        }

        /** Recover a damaged write buffer as if its damage were a torn tail ({@link BufferFaults}). */
        public Builder silentDamageTruncation(boolean v) {
            this.silentDamageTruncation = v;
            return this;
        }

        /**
         * Called at each {@link Point} with no engine lock held but {@code syncLock} (and never inside the commit
         * gate): the simulator runs other connections' steps here, as another thread could. Null: nothing.
         */
        public Builder preemption(Consumer<Point> v) {
            this.preemption = v;
            return this;
        }

        public EngineFaults build() {
            return new EngineFaults(this);
        }
    }
}
