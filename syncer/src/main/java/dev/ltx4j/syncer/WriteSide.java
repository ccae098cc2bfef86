package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.BufferDamagedException;
import dev.ltx4j.pagestore.BufferProbe;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.RecoveryReport;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteBufferException;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.WriteTransaction;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.LoadedFile;
import dev.ltx4j.pagestore.replica.PageMap;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;
import java.time.Instant;
import java.util.OptionalInt;
import java.util.SplittableRandom;

/**
 * Write mode's half of a {@link Database}: the write buffer and how much of it is in the replica. It is the only
 * writer of {@code buffer} and {@code syncedSeq}: it opens and reconciles the buffer (open, first write, refresh's
 * reopen), applies sync rounds (install an upload, adopt an own upload: I2, I4, I5), waits for remote durability,
 * resets the buffer for refresh (I7) and closes it. Versions are published through {@link PublishedVersions};
 * close's final sync, which writes none of these fields, is {@link FinalSync}.
 */
final class WriteSide {
    private final Database db;
    /** Written only by this class: at open, by the first write, and by refresh's reopen (I3). */
    private volatile WriteBuffer buffer;
    /** The buffer's last sequence number that is in the replica; written under syncLock or before sharing (I2). */
    private volatile long syncedSeq;
    /** An installed upload whose buffer trim failed, and the buffer it was for (see {@link #retryTrim}). */
    private SyncEngine.Install pendingTrim;
    private WriteBuffer pendingTrimBuffer;
    /** An own upload whose adoption's rewrite ran short of space (see {@link #retryTrim}). */
    private PendingAdoption pendingAdoption;
    /** Remote-durability commits waiting for the replica; a refresh tells them when it drops theirs. */
    private final RemoteWait remoteWait;

    WriteSide(Database db) {
        this.db = db;
        this.remoteWait = new RemoteWait(db, this);
    }

    WriteBuffer bufferOrNull() {
        return buffer;
    }

    WriteBuffer buffer() throws IOException {
        WriteBuffer b = buffer;
        if (b == null) {
            throw new PageSizeException("database \"" + db.name + "\" has no page size yet: write page 1 first");
        }
        return b;
    }

    /** The buffer's last sequence number already in the replica. */
    long syncedSeq() {
        return syncedSeq;
    }

    /**
     * Committed transactions not yet in the replica. On a stopped buffer only those whose commit succeeded: the one
     * whose force failed (its caller got an error) was never published, so the published version's sequence number
     * bounds the count (docs/write-buffer-recovery.md, "After a failed fsync").
     */
    long pendingCommits() {
        WriteBuffer b = buffer;
        if (b == null) {
            return 0;
        }
        long last = b.lastCommittedSeq();
        if (b.stopped()) {
            last = Math.min(last, db.current().localSeq());
        }
        return Math.max(0, last - syncedSeq);
    }

    // ------------------------------------------------------------------------------------------ open

    /** Opens or recovers the buffer (if there is one or the replica has a page size) and reconciles it. */
    void open(DatabaseVersion remote) throws IOException {
        OptionalInt existing = BufferProbe.pageSize(db.files.storage(), db.files.bufferName());
        if (existing.isPresent()) {
            openBuffer(existing.getAsInt(), remote);
        } else if (remote.pageSize() != 0) {
            openBuffer(remote.pageSize(), remote);
        }
        if (buffer == null) {
            db.versions.publishBase(remote);
            return;
        }
        reconcile(remote);
    }

    private void openBuffer(int pageSize, DatabaseVersion remote) throws IOException {
        EngineOptions options = db.options;
        LocalFiles files = db.files;
        WriteBufferOptions o = WriteBufferOptions.builder()
                .pageSize(pageSize)
                .durability(options.durability == Durability.NONE ? Durability.NONE : Durability.LOCAL)
                .initialBase(new BufferBase(remote.txid(), remote.checksum(), remote.commit()))
                .clock(options.clock.wallClock())
                .random(() -> new SplittableRandom(options.seed))
                .recovery(options.bufferRecovery)
                .faults(options.faults.buffer())
                .build();
        try {
            if (files.injectedStorage() != null) {
                buffer = WriteBuffer.open(files.injectedStorage(), files.bufferName(), o);
            } else if (options.bufferPath == null) {
                buffer = WriteBuffer.openDefault(options.replicaIdentity, db.name, o);
            } else {
                buffer = WriteBuffer.open(files.bufferPath(), o);
            }
        } catch (BufferDamagedException e) {
            // Hosts like sqlite3 may show only an error code.
            Database.log().error("database \"{}\": {}", db.name, e.getMessage());
            throw e;
        }
        reportRecovery(buffer);
    }

    /** Makes what opening the buffer dropped or found visible: the log at warn, and litestream_status(). */
    private void reportRecovery(WriteBuffer opened) {
        RecoveryReport r = opened.recovery();
        if (r.noteworthy()) {
            String what = r.describe(opened.location());
            db.updateState(s -> s.withBufferRecovery(what));
            Database.log().warn("database \"{}\": {}", db.name, what);
        }
        db.files.afterBufferOpen();
    }

    /** Publishes what restart recovery found ({@link OpenReconciler}); at open, before the database is shared. */
    private void reconcile(DatabaseVersion remote) throws IOException {
        WriteBuffer buf = buffer;
        OpenReconciler.Reconciled r = db.reconciler.reconcile(buf, remote, this::stateAtOpen);
        syncedSeq = r.syncedSeq();
        db.versions.startReconciled(buf, remote, r.kind() == OpenReconciler.Kind.ON_BASE);
        if (r.kind() == OpenReconciler.Kind.CONFLICT) {
            String error = db.conflicts.raise(r.conflictBase(), remote.txid(), db.options.clock.instant(), r.cause())
                    .error();
            if (error != null) {
                db.reportError(error);
            }
        }
    }

    /**
     * The database on buffer base {@code base}, from the replica's files at its TXID; null when they no longer build
     * it (retention deleted them) or it is another state than the base recorded.
     */
    private PendingState stateAtOpen(BufferBase base) throws IOException {
        DatabaseVersion old;
        try {
            old = db.index.openState(RestoreTarget.txid(base.txid())).version();
        } catch (RestorePlanException e) {
            return null;
        }
        if (old.checksum() != base.postApplyChecksum() || old.commit() != base.commitSize()) {
            return null;
        }
        return PendingState.onVersion(db, old, base, buffer.pageSize());
    }

    /** Creates the buffer of a new database once its page size is known (the first write). */
    void establishPageSize(int pageSize) throws IOException {
        db.versions.locked(() -> {
            if (buffer == null) {
                openBuffer(pageSize, DatabaseVersion.EMPTY);
                syncedSeq = buffer.lastCommittedSeq();
                db.versions.startOn(buffer,
                        new DatabaseVersion(pageSize, 0, 0, buffer.lastCommittedSeq(), 0, PageMap.EMPTY));
            } else if (buffer.pageSize() != pageSize) {
                throw new PageSizeException("write with page size " + pageSize + " but database \"" + db.name
                        + "\" uses " + buffer.pageSize());
            }
        });
    }

    // ------------------------------------------------------------------------------------------ commits

    /** See {@link PublishedVersions#publishCommit}; the caller holds the writer slot, so the buffer is fixed. */
    void publishCommit(int pageSize, long commit, long floor, WriteTransaction tx, long[] pages, long seq,
            LocalGeneration gen, NextVersions.Prepared prepared) throws IOException {
        db.versions.publishCommit(buffer, pageSize, commit, floor, tx, pages, seq, gen, prepared);
    }

    /** Registers a commit's wait for the replica (null unless durability is {@code remote}; see {@link RemoteWait}). */
    RemoteWait.Waiter registerRemoteWait(long seq) {
        return remoteWait.register(seq);
    }

    /** With {@code remote} durability, waits until a sync holding the commit is acknowledged (see {@link RemoteWait}). */
    void awaitRemote(RemoteWait.Waiter waiter) throws IOException {
        remoteWait.await(waiter);
    }

    // ------------------------------------------------------------------------------------------ sync rounds

    /** What a sync step did, and the LTX bytes it uploaded (0 when it adopted, failed or had nothing to do). */
    record Synced(SyncOutcome outcome, long uploadBytes) {}

    /**
     * Runs sync rounds and applies each one's result (docs/engine-invariants.md I4). Each round either finishes,
     * or adopts one file this writer uploaded earlier (its outcome was lost, or the buffer could not record it) and
     * goes on with what is left; the base advances every round. Callers hold {@code syncLock}.
     */
    Synced syncLocked(Instant now) {
        if (db.isClosed() && !db.options.faults.roundAfterClose) {
            // Close marked it under syncLock and is releasing the buffer (I13): nothing more is read or uploaded.
            return new Synced(new SyncOutcome(SyncOutcome.Status.FAILED, db.current().txid(), 0, 0,
                    new IllegalStateException("database \"" + db.name + "\" is closed")), 0);
        }
        SyncOutcome retried = retryTrim();
        if (retried != null) {
            return new Synced(retried, 0);
        }
        SyncOutcome adopted = null;
        while (true) {
            SyncEngine.Round r = db.sync.round(now);
            if (r.adopt() != null) {
                LoadedFile own = r.adopt().file();
                try {
                    adoptUpload(r.adopt().upToSeq(), own);
                } catch (IOException | RuntimeException e) {
                    pendingAdoption = isFullDisk(e) ? new PendingAdoption(buffer, db.versions.baseVersion(),
                            r.adopt().upToSeq(), own) : null;
                    db.reportError("sync failed: " + dev.ltx4j.replica.internal.UserMessages.describe(e));
                    // The own upload ends on the base TXID + 1 (a compacted one starts lower).
                    return new Synced(new SyncOutcome(SyncOutcome.Status.FAILED, own.header().maxTxid() - 1, 0, 0,
                            e), 0);
                }
                adopted = new SyncOutcome(SyncOutcome.Status.SYNCED, db.current().txid(), syncedSeq, 0, null);
                db.updateState(s -> s.withLastSync(now.toEpochMilli()).withLastError(null));
                continue;
            }
            SyncOutcome o = r.outcome();
            long bytes = r.uploadBytes();
            boolean setsError = r.setsError();
            String error = r.error();
            if (r.install() != null) {
                try {
                    install(r.install());
                } catch (IOException | RuntimeException e) {
                    // The upload is on the base TXID + 1.
                    o = new SyncOutcome(SyncOutcome.Status.FAILED, o.txid() - 1, 0, 0, e);
                    bytes = 0;
                    setsError = true;
                    error = "sync failed: " + e.getMessage();
                }
            }
            if (o.status() == SyncOutcome.Status.SYNCED) {
                db.updateState(s -> s.withLastSync(now.toEpochMilli()));
            }
            if (setsError) {
                db.reportError(error);
            }
            return o.status() == SyncOutcome.Status.NOTHING_TO_SYNC && adopted != null ? new Synced(adopted, 0)
                    : new Synced(o, bytes);
        }
    }

    /**
     * Publishes an uploaded file and advances the base, then trims the buffer and moves the remaining local pages to
     * its new file; the synced sequence number moves last (I2).
     */
    private void install(SyncEngine.Install in) throws IOException {
        WriteBuffer buf = buffer;
        try {
            db.versions.install(buf, in);
        } catch (IOException | RuntimeException e) {
            if (db.versions.baseVersion() == in.newBase() && isFullDisk(e)) { // published, held: only the trim is left
                pendingTrim = in;
                pendingTrimBuffer = buf;
            } else if (db.versions.baseVersion() == in.newBase() && buf.stopped()
                    && buf.base().txid() == in.newBase().txid()) {
                syncedSeq = in.upToSeq(); // the stopped buffer recorded it; only a new read handle on its disk failed
            }
            throw e;
        }
        syncedSeq = in.upToSeq();
        if (buf.stopped()) {
            reportStoppedUpload(buf, in);
        }
    }

    /**
     * After a failure stopped the buffer, a sync uploaded (part of) its durable prefix: one WARN saying what reached
     * the replica, what is refused and how to recover (litestream_status()'s last_error says it too, from the buffer).
     */
    private void reportStoppedUpload(WriteBuffer buf, SyncEngine.Install in) {
        long refused = Math.max(0, buf.lastCommittedSeq() - buf.uploadableSeq());
        Database.log().warn("database \"{}\": the write buffer {} stopped after an I/O failure; this sync uploaded its"
                + " durable transactions through sequence number {} (the replica is at TXID {}); {} transaction(s)"
                + " after them are not uploaded (their commits failed, or were never forced: durability none); writes"
                + " stay refused until the database is reopened (PRAGMA litestream_refresh, or close every connection"
                + " and open again)", db.name,
                buf.location(), in.upToSeq(), Txid.format(in.newBase().txid()), refused);
    }

    /** Whether {@code e} is the full disk that sets the buffer's rewrite hold (other failures adopt as before). */
    private static boolean isFullDisk(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof dev.ltx4j.pagestore.BufferFullException
                    || t instanceof dev.ltx4j.pagestore.storage.StorageFullException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Retries the trim of an upload already installed, or an adoption (local rewrites: their file is on the replica),
     * before the round, which lists the replica first: a full-disk hold they set must not outlive freed space while the
     * replica is unreachable (docs/write-buffer-full-disk.md). Returns the failed outcome, or null to go on.
     */
    private SyncOutcome retryTrim() {
        PendingAdoption a = pendingAdoption;
        pendingAdoption = null;
        if (a != null && a.buffer() == buffer && a.base() == db.versions.baseVersion()) { // else the round sorts it out
            try {
                adoptUpload(a.upToSeq(), a.file()); // seen on the replica as this writer's: no need to list again
            } catch (IOException | RuntimeException e) {
                pendingAdoption = isFullDisk(e) ? a : null;
                db.reportError("sync failed: " + dev.ltx4j.replica.internal.UserMessages.describe(e));
                return new SyncOutcome(SyncOutcome.Status.FAILED, a.file().header().maxTxid() - 1, 0, 0, e);
            }
        }
        SyncEngine.Install in = pendingTrim;
        if (in == null) {
            return null;
        }
        pendingTrim = null;
        if (pendingTrimBuffer != buffer || db.versions.baseVersion() != in.newBase()) {
            return null; // a refresh or an adoption moved the buffer on: the round sorts it out
        }
        try {
            db.versions.rewriteBuffer(buffer, in.trim(), (DatabaseVersion) null);
        } catch (IOException | RuntimeException e) {
            pendingTrim = in;
            db.reportError("sync failed: " + dev.ltx4j.replica.internal.UserMessages.describe(e));
            return new SyncOutcome(SyncOutcome.Status.FAILED, in.newBase().txid() - 1, 0, 0, e);
        }
        syncedSeq = in.upToSeq();
        return null;
    }

    /** An adoption whose rewrite ran short of space, on the buffer and the base it was for. */
    private record PendingAdoption(WriteBuffer buffer, DatabaseVersion base, long upToSeq, LoadedFile file) {}

    /** Marks an own upload found on the replica synced (see {@link PublishedVersions#adoptUpload}). */
    private void adoptUpload(long upToSeq, LoadedFile file) throws IOException {
        try {
            db.versions.adoptUpload(buffer, upToSeq, file);
        } catch (IOException | RuntimeException e) {
            long txid = file.header().maxTxid();
            if (buffer.stopped() && buffer.base().txid() == txid && db.versions.baseVersion().txid() == txid) {
                syncedSeq = upToSeq; // the rewrite landed before it stopped the buffer: the adoption is recorded
            }
            throw e;
        }
        syncedSeq = upToSeq;
    }

    // ------------------------------------------------------------------------------------------ refresh, close

    /**
     * Refresh's buffer part: saves what is neither synced nor saved, then starts the buffer over on {@code remote}
     * (reopening a buffer that stopped after an I/O failure). Returns {@code remote} at the buffer's sequence number.
     * Callers hold the writer slot and {@code syncLock}.
     */
    DatabaseVersion resetForRefresh(DatabaseVersion remote) throws IOException {
        WriteBuffer buf = buffer;
        if (buf == null) {
            return remote;
        }
        if (remote.pageSize() != 0 && remote.pageSize() != buf.pageSize()) {
            throw new PageSizeException("write buffer " + buf.location() + " has page size "
                    + buf.pageSize() + " but the replica now has " + remote.pageSize());
        }
        BufferBase fresh = new BufferBase(remote.txid(), remote.checksum(), remote.commit());
        long unsyncedAfter = syncedSeq;
        WriteBuffer reset;
        try {
            keepUnsaved(buf);
            reset = resetBuffer(buf, fresh, remote);
        } catch (WriteBufferException e) {
            // A buffer stopped by an I/O failure (or closed by a reopen that failed) recovers by opening
            // its file again; what recovery finds there is saved before refresh drops it.
            WriteBuffer reopened = reopenFailedBuffer(buf, remote, e);
            keepUnsaved(reopened);
            reset = resetBuffer(reopened, fresh, remote);
        }
        remoteWait.droppingUnsynced(unsyncedAfter, "saved under " + db.files.conflictDirectory() + ", then the"
                + " refresh reset the write buffer to the replica's TXID " + Txid.format(remote.txid()));
        syncedSeq = reset.lastCommittedSeq();
        long synced = syncedSeq;
        db.updateState(s -> s.withSavedThrough(synced));
        return NextVersions.withSeq(remote, reset.lastCommittedSeq());
    }

    /** Saves the held transactions no sync and no conflict save covers yet, before a refresh drops them. */
    private void keepUnsaved(WriteBuffer buf) throws IOException {
        long saved;
        try {
            saved = db.conflicts.saveUnsaved(buf, db.options.clock.instant());
        } catch (WriteBufferException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new IOException("refresh of database \"" + db.name + "\" keeps its unsynced transactions in the"
                    + " write buffer: saving them under " + db.files.conflictDirectory() + " failed: "
                    + e.getMessage(), e);
        }
        if (saved >= 0) {
            db.updateState(s -> s.withSavedThrough(saved));
        }
    }

    /** Starts {@code buf} over on {@code fresh} and publishes {@code remote} on the rewritten file. */
    private WriteBuffer resetBuffer(WriteBuffer buf, BufferBase fresh, DatabaseVersion remote) throws IOException {
        // No session is open (the caller holds the writer slot), so the sequence number does not move.
        db.versions.rewriteBuffer(buf, () -> buf.reset(fresh), NextVersions.withSeq(remote,
                buf.lastCommittedSeq()));
        return buf;
    }

    /**
     * Closes a buffer that stopped after an I/O failure and opens its file again (recovery replays what reached
     * the file). Callers hold the writer slot and {@code syncLock}.
     */
    private WriteBuffer reopenFailedBuffer(WriteBuffer failed, DatabaseVersion remote, IOException cause)
            throws IOException {
        try {
            failed.close();
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
        }
        try {
            openBuffer(failed.pageSize(), remote);
        } catch (IOException | RuntimeException e) {
            e.addSuppressed(cause);
            throw e;
        }
        return buffer;
    }

    /**
     * Closes the buffer (releasing its lock) whatever state it is in; the caller holds the writer slot.
     *
     * @param into a failure already being reported, which gets a close problem as a suppressed exception
     * @return the close problem when there is no {@code into}, else null
     */
    IOException closeBuffer(Throwable into) {
        try {
            buffer.close();
        } catch (IOException | RuntimeException e) {
            if (into != null) {
                into.addSuppressed(e);
            } else {
                return e instanceof IOException io ? io
                        : new IOException("closing the write buffer of database \"" + db.name + "\" failed", e);
            }
        }
        return null;
    }
}
