package dev.ltx4j.syncer;

import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.PageIndex;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.DirectMemoryException;
import dev.ltx4j.pagestore.SyncSnapshot;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.LoadedFile;
import dev.ltx4j.pagestore.replica.PageMap;
import dev.ltx4j.pagestore.replica.RemoteFile;
import dev.ltx4j.pagestore.replica.RemotePage;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaUrl;
import java.io.IOException;
import java.time.Instant;
import java.util.function.UnaryOperator;

/**
 * The write-mode sync step: takes the committed, unsynced transactions up to a commit boundary, builds one LTX
 * file on the replica's TXID + 1, uploads it create-if-absent, and installs it into the page map before trimming
 * the buffer. The file is encoded streaming (page images read one at a time from the buffer file, spooled to a
 * temporary file when large) and its post-apply checksum comes from the page checksums kept in the page map, so
 * a sync reads neither old images nor holds the file in memory. Conflicts are prevented (a listing of level 0,
 * of every level when that is inconclusive, {@link SyncCheck}; exclusive create), resolved when ambiguous (NodeID
 * + file checksum read back, {@link OwnUploads}) and, when real, made sticky and saved under {@code conflicts/}
 * ({@link ConflictSaver}).
 *
 * <p>A round writes no field of {@link Database}: it returns a {@link Round} that the database applies (see
 * docs/engine-invariants.md I4). Callers hold {@code db.syncLock}.
 */
final class SyncEngine {
    /** The largest TXID LTX can name (16 hex digits, unsigned); a sync on it has no TXID to upload under. */
    static final long LAST_TXID = -1L;

    private final Database db;
    private final OwnUploads ownUploads;
    private final ConflictSaver conflicts;
    /** The pre-upload conflict check: one level-0 listing in the common case (docs/request-economy-writer.md). */
    private final SyncCheck check;
    /** After a full check found nothing beyond the base: is the base itself still there (a deleted replica)? */
    private final LostBaseCheck lostBase;
    /**
     * The spool's in-memory chunks and the encoder's read window are reused from round to round (rounds run one at
     * a time under {@code syncLock}) through the process-wide {@link dev.ltx4j.pagestore.DirectBufferPool}, so a steady
     * load's syncs allocate neither (their allocation, zeroing and collection cost more than the encoding as the
     * machine gets busy) and an idle database holds none of them.
     */
    private final Spool.Chunks spoolChunks = Spool.Chunks.forMemoryLimit(Spool.DEFAULT_MEMORY_LIMIT);
    private final UploadEncoder.Reuse reuse = new UploadEncoder.Reuse();

    SyncEngine(Database db, OwnUploads ownUploads, ConflictSaver conflicts) {
        this.db = db;
        this.ownUploads = ownUploads;
        this.conflicts = conflicts;
        this.check = new SyncCheck(db.client, db.options.clock::nanoTime, db.options.compaction().retentionGrace(),
                db.options.faults.skipSyncCheck);
        this.lostBase = new LostBaseCheck(db, conflicts);
    }

    /** One LTX file built for upload: where its bytes are and what the encoder wrote. */
    record Encoded(Spool spool, LtxEncodeResult result, long[] pgnos, long[] checksums,
            UploadEncoder.Warm warm) {
        long size() {
            return result.size();
        }
    }

    /**
     * What one sync round did, for {@link Database} to apply (docs/engine-invariants.md I4): the outcome; an own
     * upload to adopt and go on with (then {@code outcome} is null); an upload to install; and the last error to
     * report when {@code setsError} (null clears it).
     */
    record Round(SyncOutcome outcome, OwnUploads.OwnUpload adopt, Install install, boolean setsError, String error,
            long uploadBytes) {
        static Round of(SyncOutcome o) {
            return new Round(o, null, null, false, null, 0);
        }

        static Round failed(long baseTxid, Exception e) {
            return new Round(new SyncOutcome(SyncOutcome.Status.FAILED, baseTxid, 0, 0, e), null, null, true,
                    "sync failed: " + e.getMessage(), 0);
        }
    }

    /**
     * An uploaded file to publish: {@code merge} turns the current version into the one with the synced pages as
     * remote entries (run under {@code stateLock}), {@code newBase} is the replica state it makes, {@code trim}
     * marks the transactions synced in the buffer.
     */
    record Install(UnaryOperator<DatabaseVersion> merge, DatabaseVersion newBase, PublishedVersions.Rewrite trim,
            long upToSeq) {}

    /** The spool's chunk pool (tests). */
    Spool.Chunks spoolChunks() {
        return spoolChunks;
    }

    /** Drops the kept spool chunks (the database closed; callers hold {@code db.syncLock}). */
    void releaseMemory() {
        spoolChunks.release();
    }

    /** One round; callers hold {@code db.syncLock} and apply the result before the next round. */
    Round round(Instant now) {
        ConflictInfo c = db.state().conflict();
        if (c != null) {
            return Round.of(new SyncOutcome(SyncOutcome.Status.CONFLICT, c.baseTxid(), 0, 0, lostBase.conflicted(c)));
        }
        WriteBuffer buf = db.bufferOrNull();
        DatabaseVersion v = db.current();
        // Published commits only: each one's force succeeded, so after a failure stopped the buffer they are its
        // durable prefix, which the buffer still lets a sync read (docs/write-buffer-recovery.md, "After a failed
        // fsync"); the commit whose force failed was never published.
        // With durability none a commit is published unforced: a stopped buffer bounds it to what was forced.
        long upTo = buf != null && buf.stopped() && db.options.faults.syncPastDurablePrefix
                ? buf.lastCommittedSeq() // fault point, off
                : buf != null && buf.stopped() ? Math.min(v.localSeq(), buf.uploadableSeq()) : v.localSeq();
        if (buf == null || upTo <= db.syncedSeq()) {
            return Round.of(new SyncOutcome(SyncOutcome.Status.NOTHING_TO_SYNC, v.txid(), 0, 0, null));
        }
        long baseTxid = v.txid();
        try {
            SyncSnapshot snap = buf.snapshot(upTo);
            db.options.faults.preempt(EngineFaults.Point.SYNC_SNAPSHOT); // fault point: other steps may run here
            BufferBase base = snap.base();
            if (buf.stopped()) {
                checkStoppedBase(buf, snap);
            }
            baseTxid = base.txid();
            long fullChecks = check.fullChecks();
            long remote = check.remoteBeyond(base.txid());
            if (Long.compareUnsigned(remote, base.txid()) > 0) {
                return adoptOrConflict(buf, base, snap.upToSeq(), () -> remote, now);
            }
            Round lost = check.fullChecks() == fullChecks || check.sawBase() ? null : lostBase.refuseIfLost(base, now);
            if (lost != null) {
                return lost; // the replica no longer holds the base: refused, never an unrestorable upload
            }
            if (base.txid() == LAST_TXID) {
                throw new IOException("replica " + ReplicaUrl.redact(db.options.replicaIdentity) + " of database \"" + db.name
                        + "\" holds TXID " + Txid.format(LAST_TXID)
                        + ", the last 16-hex-digit TXID: LTX has no TXID after it, so no further transaction can be"
                        + " synced (nothing uploaded; the commits stay in the buffer). Restore the database"
                        + " (ltx4j restore) and write it to a new replica");
            }
            long txid = base.txid() + 1;
            Encoded built;
            try (Spool spool = new Spool(db.files.spoolDirectory(), Spool.DEFAULT_MEMORY_LIMIT, spoolChunks)) {
                built = UploadEncoder.encode(db, v, snap, txid, now.toEpochMilli(), buf.writerId(), spool, reuse);
                if (db.options.faults.reuseUnverifiedUpload) {
                    db.compaction.uploaded(txid, spool.body()); // fault point, off: kept before the store confirmed it
                }
                try {
                    db.client.createFile(0, txid, txid, spool.body());
                } catch (ReplicaAlreadyExistsException | ReplicaOutcomeUnknownException e) {
                    OwnUploads.Unknown unknown = new OwnUploads.Unknown(base.txid(), txid, snap.upToSeq(),
                            snap.commitSize(), built.result().postApplyChecksum());
                    if (e instanceof ReplicaOutcomeUnknownException) { // provable later even if compacted away
                        ownUploads.outcomeUnknown(unknown);
                    }
                    OwnUploads.Resolution r = ownUploads.resolve(txid, built.size(), built.result().fileChecksum(),
                            buf.writerId());
                    if (r == OwnUploads.Resolution.ABSENT && e instanceof ReplicaOutcomeUnknownException) {
                        r = createAgain(txid, built, buf.writerId(), spool, unknown); // nothing landed: send it once more
                    }
                    if (r == OwnUploads.Resolution.ABSENT) {
                        throw e; // nothing landed: the next sync uploads again on the same TXID
                    }
                    if (r == OwnUploads.Resolution.OWN_EARLIER) {
                        return adoptOrConflict(buf, base, snap.upToSeq(),
                                () -> Txid.max(txid, highestRemoteTxid(base.txid())), now);
                    }
                    if (r == OwnUploads.Resolution.THEIRS) {
                        return conflict(base, Txid.max(txid, highestRemoteTxid(base.txid())), now);
                    }
                }
                db.compaction.uploaded(txid, spool.body()); // stored as these bytes: its compaction need not GET them
            }
            check.uploaded(txid, built.size()); // the file the next check expects at its base
            Install install = install(v, snap, built, txid, buf);
            return new Round(new SyncOutcome(SyncOutcome.Status.SYNCED, txid, snap.upToSeq(), snap.pageCount(), null),
                    null, install, true, null, built.size());
        } catch (IOException | RuntimeException e) {
            return Round.failed(baseTxid, e);
        } catch (OutOfMemoryError e) {
            // The direct memory limit, hit where the JDK copies heap chunks into temporary direct buffers (a
            // gathering write): a failed sync like any other; other OutOfMemoryErrors are rethrown by from().
            return Round.failed(baseTxid, DirectMemoryException.from(e, "the upload's write"));
        }
    }

    /**
     * A buffer that stopped inside a rewrite (its rename landed, the directory sync failed) may hold a base the engine
     * never recorded: its sync would encode on the wrong base, or upload an empty transaction. Refused; a reopen
     * reconciles the file with the replica (docs/write-buffer-recovery.md, "After a failed fsync").
     */
    private void checkStoppedBase(WriteBuffer buf, SyncSnapshot snap) throws IOException {
        long engineBase = db.baseVersion().txid();
        if (snap.base().txid() != engineBase || snap.transactionCount() == 0) {
            // failureMessage says that it stopped and how to recover: said once.
            throw new dev.ltx4j.pagestore.BufferFailedException(buf.location(), "no sync uploads from write buffer "
                    + buf.location() + " any more: it stopped inside a rewrite, on base TXID " + Txid.format(
                    snap.base().txid()) + " while the sync is at TXID " + Txid.format(engineBase)
                    + (snap.transactionCount() == 0 ? ", with no transaction past it" : "") + "; "
                    + buf.failureMessage(), null);
        }
    }

    /** Adopts an own earlier upload at the buffer's base + 1 if there is one, else raises the conflict. */
    private Round adoptOrConflict(WriteBuffer buf, BufferBase base, long published, RemoteTxid remote, Instant now)
            throws IOException {
        OwnUploads.StateOf state = b -> PendingState.onBase(db, b, buf.pageSize());
        LtxHeader next = ownUploads.headerAtNext(buf);
        OwnUploads.OwnUpload own = ownUploads.find(buf, next, state);
        if (own == null) {
            own = ownUploads.findCompacted(buf); // its level-0 file compacted and deleted before we could look
        }
        boolean rivalAtNext = next != null && next.nodeId() != buf.writerId(); // a real conflict: no prefix search
        if (own == null && !rivalAtNext && !db.options.faults.forgetOwnStateAfterRestart) {
            // No record of the create (a restart) or other bytes: the replica may still hold exactly our state.
            own = ownUploads.findSameState(buf, published, state);
        }
        if (own != null) {
            return new Round(null, own, null, false, null, 0);
        }
        return conflict(base, remote.get(), now);
    }

    /** The replica's TXID, looked up only when needed (after the adoption check, as the requests always ran). */
    @FunctionalInterface
    private interface RemoteTxid {
        long get() throws IOException;
    }

    /** The full conflict check: the highest max TXID beyond {@code base} on any level, else {@code base}. */
    long highestRemoteTxid(long base) throws ReplicaException {
        return check.highestRemoteTxid(base);
    }

    /** Forgets the conflict check's listing positions (after the replica was reloaded). */
    void relistEverything() {
        check.relistEverything();
    }

    /** The conflict check, for its counters (tests). */
    SyncCheck check() {
        return check;
    }

    /**
     * What publishing the uploaded file takes (each synced page becomes a remote entry carrying its page checksum,
     * the base advances, the buffer is trimmed and its remaining local pages move to its new file): {@link Database}
     * applies it in that order.
     */
    /**
     * Sends a create that resolved as absent once more (the retry decorator never re-sends an ambiguous create, so
     * this is the one place that does; docs/engine-client-stack.md), and resolves its outcome the same way if that
     * one is ambiguous too (the commit's state is then unknown again until a read answers).
     */
    private OwnUploads.Resolution createAgain(long txid, Encoded built, long nodeId, Spool spool,
            OwnUploads.Unknown unknown) throws IOException {
        try {
            db.client.createFile(0, txid, txid, spool.body());
            return OwnUploads.Resolution.OURS;
        } catch (ReplicaAlreadyExistsException | ReplicaOutcomeUnknownException e) {
            if (e instanceof ReplicaOutcomeUnknownException) {
                ownUploads.outcomeUnknown(unknown);
            }
            return ownUploads.resolve(txid, built.size(), built.result().fileChecksum(), nodeId);
        }
    }

    private Install install(DatabaseVersion v, SyncSnapshot snap, Encoded built, long txid, WriteBuffer buf)
            throws IOException {
        LtxHeader h = built.result().header();
        LtxFileInfo info = new LtxFileInfo(0, txid, txid, built.size(), Instant.ofEpochMilli(h.timestamp()));
        ownUploads.uploaded(info); // on the replica now; relocations plan with it while listings lag
        long post = built.result().postApplyChecksum();
        LoadedFile lf = new LoadedFile(info, h, built.result().pageIndex(), post);
        RemoteFile rf = lf.remoteFile();
        PageIndex idx = built.result().pageIndex();
        long[] sums = built.checksums();
        // Verified by construction: this engine built the bytes, so reads of it are checked against these sums.
        db.reader().verifier().registerOwn(rf, idx, sums);
        DatabaseVersion oldBase = db.baseVersion();
        DatabaseVersion newBase = ReplicaIndex.apply(oldBase, lf, sums); // each page with its checksum, one pass
        boolean forget = db.options.faults.forgetOwnUpload;
        UnaryOperator<DatabaseVersion> merge = c -> {
            PageMap.Builder b = c.pages().edit();
            // Without commits during the upload the current map is the synced one: every page is still as synced.
            boolean unchanged = c.pages() == v.pages();
            for (int i = 0; i < idx.size(); i++) {
                long p = idx.pgno(i);
                RemotePage rp = new RemotePage(rf, idx.offset(i), idx.frameSize(i));
                if (unchanged || c.pages().get(p) == v.pages().get(p)) {
                    if (forget) { // fault point, off
                        b.put(p, db.options.faults.ownUploadEntry(rp, oldBase.pages().get(p)), 0);
                    } else {
                        b.put(p, rp, sums[i]);
                    }
                }
                if (i < built.warm().length()) { // a block the cache decompresses at its first read, if any
                    built.warm().putInto(db.reader().cache(), i, rp, p, rf.pageSize());
                }
            }
            b.truncate(c.commit());
            return new DatabaseVersion(c.pageSize(), c.commit(), txid, c.localSeq(), 0, b.build());
        };
        return new Install(merge, newBase, () -> buf.markSynced(snap.upToSeq(), txid, post), snap.upToSeq());
    }

    private Round conflict(BufferBase base, long remoteTxid, Instant now) {
        ConflictSaver.Raised raised = conflicts.raise(base, remoteTxid, now);
        SyncOutcome o = new SyncOutcome(SyncOutcome.Status.CONFLICT, base.txid(), 0, 0,
                new ConflictException(raised.info()));
        return new Round(o, null, null, raised.error() != null, raised.error(), 0);
    }
}
