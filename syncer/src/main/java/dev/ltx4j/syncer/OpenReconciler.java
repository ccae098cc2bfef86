package dev.ltx4j.syncer;

import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.replica.LoadedFile;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;

/**
 * Opening: loads the replica's latest state, and restart recovery brings a write buffer opened with recovered transactions and the replica's latest state
 * together. Recovered transactions on the replica's TXID are kept for the next sync; own uploads a crash left
 * unrecorded are adopted; if the replica moved past them otherwise, the database opens conflicted with nothing
 * lost. Moves the buffer (adoption, reset) but no state of {@link Database}: it returns what the database
 * publishes (docs/engine-invariants.md I5).
 */
final class OpenReconciler {
    private final String name;
    private final EngineOptions options;
    private final ReplicaClient client;
    private final OwnUploads ownUploads;

    OpenReconciler(String name, EngineOptions options, ReplicaClient client, OwnUploads ownUploads) {
        this.name = name;
        this.options = options;
        this.client = client;
        this.ownUploads = ownUploads;
    }

    /** How the buffer relates to the replica after reconciling. */
    enum Kind {
        /** The buffer's base is the replica's TXID: its transactions are pending on top of the replica. */
        ON_BASE,
        /** The buffer held nothing and was reset onto the replica's state. */
        RESET,
        /** The replica moved past the buffer's base with someone else's files: the held transactions conflict. */
        CONFLICT
    }

    /**
     * @param syncedSeq    the buffer's last sequence number already in the replica
     * @param conflictBase the buffer base the conflicting transactions build on (CONFLICT only)
     * @param cause        what is known about how the replica got past that base (CONFLICT only; null: nothing)
     */
    record Reconciled(Kind kind, long syncedSeq, BufferBase conflictBase, String cause) {
        Reconciled(Kind kind, long syncedSeq, BufferBase conflictBase) {
            this(kind, syncedSeq, conflictBase, null);
        }
    }

    /**
     * @param baseState the database state on a buffer base, from the replica's files at its TXID (null when they
     *                  are gone): the proof for an upload whose level-0 file was compacted away
     */
    Reconciled reconcile(WriteBuffer buf, DatabaseVersion remote, OwnUploads.StateOf baseState) throws IOException {
        if (remote.pageSize() != 0 && remote.pageSize() != buf.pageSize()) {
            throw new PageSizeException("write buffer " + buf.location() + " has page size " + buf.pageSize()
                    + " but replica " + ReplicaUrl.redact(options.replicaIdentity) + " has " + remote.pageSize());
        }
        long openedOn = buf.base().txid();
        while (true) {
            BufferBase base = buf.base();
            int held = buf.transactions().size();
            long syncedSeq = buf.lastCommittedSeq() - held;
            if (base.txid() == remote.txid()) {
                return new Reconciled(Kind.ON_BASE, syncedSeq, null);
            }
            if (Long.compareUnsigned(remote.txid(), base.txid()) < 0 && baseIsReadable(base.txid())) {
                // The buffer recorded that the replica reached its base; a listing that ends earlier lags.
                throw new ReplicaTransientException("the replica listing of database \"" + name
                        + "\" ends at TXID " + Txid.format(remote.txid()) + " but the write buffer's base TXID "
                        + Txid.format(base.txid()) + " is readable: the listing lags behind; open again later");
            }
            if (held == 0) {
                buf.reset(new BufferBase(remote.txid(), remote.checksum(), remote.commit()));
                return new Reconciled(Kind.RESET, buf.lastCommittedSeq(), null);
            }
            if (Long.compareUnsigned(remote.txid(), base.txid()) > 0 && ownUploads.adoptAtOpen(buf)) {
                continue;
            }
            if (Long.compareUnsigned(remote.txid(), base.txid()) > 0 && adoptOwnState(buf, remote, baseState)) {
                continue;
            }
            if (Long.compareUnsigned(remote.txid(), base.txid()) > 0 && adoptOwnUploadPastLostTail(buf)) {
                continue;
            }
            return new Reconciled(Kind.CONFLICT, syncedSeq, base, conflictCause(buf, openedOn, remote));
        }
    }

    /**
     * What a conflict at open can say beyond the TXIDs (docs/write-buffer-recovery.md, "After a failed fsync"): that
     * the base is this writer's own upload adopted at this open and another writer's files follow it, or that the
     * files building the base are gone, so the held transactions cannot be compared with the replica's state.
     */
    private String conflictCause(WriteBuffer buf, long openedOn, DatabaseVersion remote) {
        try {
            return conflictCauseOrNull(buf, openedOn, remote);
        } catch (IOException | RuntimeException e) {
            return null; // only words for the message: a failed read must not fail the open
        }
    }

    private String conflictCauseOrNull(WriteBuffer buf, long openedOn, DatabaseVersion remote) throws IOException {
        long base = buf.base().txid();
        if (base != openedOn) {
            LtxHeader next = ownUploads.headerAtNext(buf);
            return "TXID " + Txid.format(base) + " is this writer's own upload, adopted at this open (the write"
                    + " buffer had not recorded it: it stopped after an I/O failure, or the process ended first); "
                    + (next == null || next.nodeId() == buf.writerId() ? "the replica went on to TXID "
                    + Txid.format(remote.txid()) + " after it" : "another writer (node ID "
                    + Long.toHexString(next.nodeId()) + ") committed TXID " + Txid.format(base + 1) + " after it")
                    + ", so the transactions the buffer still holds after it were never uploaded (one whose commit"
                    + " failed with that I/O error may be among them: recovery keeps a record that reached the disk)";
        }
        if (base == 0 || baseRestorable(base)) {
            return null;
        }
        return "the replica no longer holds the files that build TXID " + Txid.format(base) + " (retention deleted"
                + " them), so these transactions cannot be compared with the replica's state; if this writer"
                + " uploaded them before (a write buffer that stopped after an I/O failure keeps its old base until it"
                + " is reopened), the saved file repeats what the replica already holds";
    }

    /** Whether the replica still has files that restore TXID {@code txid}. */
    private boolean baseRestorable(long txid) throws IOException {
        try {
            new dev.ltx4j.replica.RestorePlanner(client).plan(RestoreTarget.txid(txid));
            return true;
        } catch (RestorePlanException e) {
            return false;
        }
    }

    /**
     * The replica's latest state is the one a prefix of the held transactions makes on the base: this writer's
     * uploads whose level-0 files were compacted away while a stopped buffer kept its old base on disk
     * ({@link OwnUploads#findStateAtOpen}). Marks that prefix synced on the replica's TXID.
     */
    private boolean adoptOwnState(WriteBuffer buf, DatabaseVersion remote, OwnUploads.StateOf baseState)
            throws IOException {
        long upTo = ownUploads.findStateAtOpen(buf, remote, baseState);
        if (upTo < 0) {
            return false;
        }
        buf.markSynced(upTo, remote.txid(), remote.checksum());
        return true;
    }

    /**
     * With durability NONE a crash may drop the tail of the held commits, including commits an upload at base + 1
     * already carried: no held prefix re-encodes to it, yet it is this buffer's own file (our NodeID on our base).
     * Those commits were never acknowledged and the file holds a later state of the same history, so the buffer
     * restarts on it rather than report a conflict with itself. Runs at open only, where the held commits are
     * what survived the crash. Other durabilities keep every acknowledged commit, so a mismatch there stays a
     * conflict (which saves the local state).
     */
    private boolean adoptOwnUploadPastLostTail(WriteBuffer buf) throws IOException {
        if (options.durability != Durability.NONE) {
            return false;
        }
        LoadedFile own = ownUploads.ownFileAtNext(buf);
        if (own == null) {
            return false;
        }
        LtxHeader h = own.header();
        buf.reset(new BufferBase(h.maxTxid(), h.noChecksum() ? 0 : own.postApplyChecksum(), h.commitPages()));
        return true;
    }

    /**
     * One more listing, only for a replica without LTX files (docs/field-probes.md, "Round 9: leftovers"): a failure
     * to ask leaves the usual message, or in write mode the usual empty database.
     */
    private boolean holdsV3Generations(boolean writeMode) throws IOException {
        try {
            return client.holdsLitestreamV3Generations();
        } catch (dev.ltx4j.replica.ReplicaTransientException e) {
            if (!writeMode) {
                return false;
            }
            // Going on would make this an empty database whose first commit marks the replica as ours for good.
            throw new dev.ltx4j.replica.ReplicaTransientException("cannot open database \"" + name + "\" for writing:"
                    + " could not check whether replica " + ReplicaUrl.redact(options.replicaIdentity) + " is a"
                    + " Litestream v0.3 replica (listing its generations/ folder failed after retries: "
                    + dev.ltx4j.replica.internal.UserMessages.describe(e) + "); nothing was written, try again later", e);
        } catch (IOException | RuntimeException e) {
            // Permanent (an IAM policy that denies this listing): the replica holds no LTX file, so open it as new.
            if (writeMode) {
                EngineLog.LOG.warn("database {}: cannot check whether replica {} is a Litestream v0.3 replica"
                        + " (listing generations/ failed: {}); opening it as an empty database", name,
                        ReplicaUrl.redact(options.replicaIdentity), dev.ltx4j.replica.internal.UserMessages.describe(e));
            }
            return false;
        }
    }

    /** Whether L0 file {@code txid} can be read directly (a read is consistent where a listing may lag). */
    private boolean baseIsReadable(long txid) throws IOException {
        if (txid == 0) {
            return false;
        }
        try {
            client.readRange(0, txid, txid, 0, 1);
            return true;
        } catch (ReplicaNotFoundException e) {
            return false;
        }
    }

    /**
     * The replica's latest state; in write mode an empty replica is an empty database.
     *
     * @throws DatabaseNotFoundException when there is nothing to open (read mode on an empty replica, no plan)
     */
    ReplicaIndex.OpenedState loadRemoteState(ReplicaIndex index, boolean writeMode) throws IOException {
        try {
            return index.openState(RestoreTarget.latest());
        } catch (RestorePlanException.TransactionNotAvailable e) {
            String replica = "replica " + ReplicaUrl.redact(options.replicaIdentity);
            // The listing is asked only when the replica holds no LTX file (a new database, or the wrong prefix).
            if (e.replicaEmpty() && writeMode && holdsV3Generations(true)) {
                // Writing here would start a v0.5 chain beside the old data and show the app an empty database.
                throw new DatabaseNotFoundException("cannot open database \"" + name + "\" for writing: " + replica
                        + " holds no LTX files but a generations/ folder: it is a Litestream v0.3 replica, whose"
                        + " layout neither ltx4j nor Litestream 0.5 reads, and writing would start an empty database"
                        + " beside it; nothing was written. Restore it with Litestream v0.3 (litestream restore) and"
                        + " replicate the restored database anew (ltx4j import to an empty replica URL), or point"
                        + " this writer at an empty prefix", e);
            }
            if (e.replicaEmpty() && writeMode) {
                return new ReplicaIndex.OpenedState(DatabaseVersion.EMPTY, null);
            }
            if (e.replicaEmpty() && holdsV3Generations(false)) {
                throw new DatabaseNotFoundException("cannot open database \"" + name + "\" in read mode: " + replica + " holds no LTX files but a generations/ folder: it is a"
                        + " Litestream v0.3 replica, whose layout neither ltx4j nor Litestream 0.5 reads (restore it"
                        + " with Litestream v0.3, then publish the database with ltx4j import)", e);
            }
            throw new DatabaseNotFoundException("cannot open database \"" + name + "\"" + (writeMode ? "" : " in read"
                    + " mode") + ": " + (e.replicaEmpty() ? replica + " holds no LTX files (nothing to read yet: a"
                            + " write-mode open creates it, with LITESTREAM_WRITE_ENABLED=true, write_enabled=true or"
                            + " writeEnabled(true), and not read-only: ?mode=ro and sqlite3 -readonly always read)"
                            : replica + " has no restorable state (" + e.getMessage() + "): its files do not build"
                            + " the database from the start, e.g. after files were deleted"), e);
        } catch (RestorePlanException e) {
            throw new DatabaseNotFoundException("cannot open database \"" + name + "\": " + e.getMessage(), e);
        }
    }
}
