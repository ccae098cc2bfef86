package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.LoadedFile;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.CommittedTransaction;
import dev.ltx4j.pagestore.SyncSnapshot;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recognises this writer's own uploads on the replica: an ambiguous create resolved by reading the object back,
 * and a file uploaded by an earlier attempt or process whose outcome the buffer never recorded (lost response,
 * failed buffer rewrite, crash before trimming). Reads the replica only; the caller records what it finds (see
 * docs/engine-invariants.md I5).
 */
final class OwnUploads {
    /**
     * How many of this writer's newest uploads it remembers, so a relocation can plan with them while a lagging
     * listing does not show them yet (a few minutes of syncs at the default interval; a record is ~50 bytes).
     */
    static final int REMEMBERED = 256;

    private final ReplicaClient client;
    private final ReplicaIndex index;
    /** This writer's newest uploads (created or adopted), oldest first; guarded by itself. */
    private final ArrayDeque<LtxFileInfo> recent = new ArrayDeque<>();
    /** The last create whose outcome stayed unknown, until the base moves past it (callers hold syncLock). */
    private volatile Unknown unknown;
    /** The base of {@link #unknown} until a read-back settled it (any answer of {@link #resolve}), else -1. */
    private volatile long unsettledBase = -1;

    OwnUploads(ReplicaClient client, ReplicaIndex index) {
        this.client = client;
        this.index = index;
    }

    /** Records an upload of this writer that is on the replica (created, or found and adopted). */
    void uploaded(LtxFileInfo info) {
        synchronized (recent) {
            recent.addLast(info);
            while (recent.size() > REMEMBERED) {
                recent.removeFirst();
            }
        }
    }

    /**
     * This writer's newest uploads, oldest first: files it knows it created even where a listing lags. Retention
     * may have deleted some since (they were compacted): a planner meeting one plans again without it.
     */
    List<LtxFileInfo> recent() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }

    /**
     * What an ambiguous create left at its name: this very file (OURS), nothing (ABSENT), a file of this writer
     * from an earlier attempt or process (OWN_EARLIER: adopt it if it holds a prefix of the buffer), or another
     * writer's file (THEIRS).
     */
    enum Resolution { OURS, THEIRS, ABSENT, OWN_EARLIER }

    /**
     * A create of L0 {@code txid} on base {@code baseTxid} whose outcome stayed unknown: it held the buffered
     * transactions up to {@code upToSeq} and makes a database of {@code commitPages} pages with checksum
     * {@code postApplyChecksum}.
     */
    record Unknown(long baseTxid, long txid, long upToSeq, long commitPages, long postApplyChecksum) {}

    /** Remembers a create whose outcome is unknown, for {@link #findCompacted}. */
    void outcomeUnknown(Unknown u) {
        unknown = u;
        unsettledBase = u.baseTxid();
    }

    /**
     * The one place that knows a commit's state is unknown: a create on base {@code baseTxid} (of L0
     * {@code baseTxid + 1}) whose outcome no read-back settled, and which no later round resolved (the base has not
     * moved past it). Callers hold syncLock.
     */
    boolean outcomeUnknownOn(long baseTxid) {
        return unsettledBase == baseTxid;
    }

    /** An own upload found at the buffer's base + 1: the file and the last buffered transaction it holds. */
    record OwnUpload(long upToSeq, LoadedFile file) {}

    /**
     * Resolves an ambiguous or "already exists" create by reading the object itself: a direct read is
     * read-after-write consistent where a listing may lag. Only a successful read decides; a read that fails
     * (transient error, short body) throws, leaving the outcome unknown for a later sync to resolve.
     */
    Resolution resolve(long txid, long size, long fileChecksum, long nodeId) throws IOException {
        Resolution r = readBack(txid, size, fileChecksum, nodeId);
        Unknown u = unknown;
        if (u != null && u.txid() == txid) {
            unsettledBase = -1; // a read answered: the outcome is known
        }
        return r;
    }

    private Resolution readBack(long txid, long size, long fileChecksum, long nodeId) throws IOException {
        LtxHeader h;
        try {
            h = readOwnHeader(txid);
        } catch (ReplicaNotFoundException e) {
            return Resolution.ABSENT;
        }
        if (h == null || h.nodeId() != nodeId) {
            return Resolution.THEIRS;
        }
        byte[] tail;
        try {
            tail = client.readRange(0, txid, txid, size - 8, 0); // to the end: exactly 8 if same size
        } catch (ReplicaNotFoundException e) {
            throw new ReplicaTransientException("L0/" + Txid.format(txid) + " vanished while being read back", e);
        }
        if (tail.length == 8 && ReplicaIndex.readLongAt(tail, 0) == fileChecksum) {
            return Resolution.OURS;
        }
        return Resolution.OWN_EARLIER;
    }

    /**
     * The header of L0 file {@code txid}, or null when the bytes there are no LTX header (not a file this writer
     * made).
     *
     * @throws ReplicaNotFoundException when there is no such file
     * @throws ReplicaTransientException when the read returned fewer bytes than a header (a short read)
     */
    private LtxHeader readOwnHeader(long txid) throws IOException {
        byte[] head = client.readRange(0, txid, txid, 0, Ltx.HEADER_SIZE);
        if (head.length < Ltx.HEADER_SIZE) {
            throw new ReplicaTransientException("short read of the header of L0/" + Txid.format(txid) + ": "
                    + head.length + " of " + Ltx.HEADER_SIZE + " bytes");
        }
        try {
            return LtxHeader.parse(head, "L0/" + Txid.format(txid));
        } catch (LtxFormatException e) {
            return null;
        }
    }

    /**
     * Restart case: the replica is one TXID past the buffer's base and that file carries this writer's NodeID, so
     * a previous process uploaded it and crashed before trimming. Marks the matching prefix synced.
     *
     * @return true when the buffer advanced
     */
    boolean adoptAtOpen(WriteBuffer buf) throws IOException {
        OwnUpload own = find(buf, b -> null); // at open no sync base is published: prefixes by page count alone
        if (own == null) {
            return false;
        }
        LtxHeader h = own.file().header();
        buf.markSynced(own.upToSeq(), h.maxTxid(), h.noChecksum() ? 0 : own.file().postApplyChecksum());
        return true;
    }

    /**
     * The L0 file at the buffer's base TXID + 1 when its header carries this writer's NodeID (an upload of this
     * buffer, whatever its content), loaded; null when absent or someone else's. Read directly (a listing may lag).
     */
    LoadedFile ownFileAtNext(WriteBuffer buf) throws IOException {
        return ownFileAtNext(buf, headerAtNext(buf));
    }

    /**
     * The header of the L0 file at the buffer's base TXID + 1, read directly (a listing may lag); null when there is
     * no such file or its bytes are no LTX header.
     */
    LtxHeader headerAtNext(WriteBuffer buf) throws IOException {
        try {
            return readOwnHeader(buf.base().txid() + 1);
        } catch (ReplicaNotFoundException e) {
            return null;
        }
    }

    /** {@link #ownFileAtNext(WriteBuffer)} with that file's header already read ({@link #headerAtNext}). */
    private LoadedFile ownFileAtNext(WriteBuffer buf, LtxHeader head) throws IOException {
        long txid = buf.base().txid() + 1;
        if (head == null || head.nodeId() != buf.writerId()) {
            return null;
        }
        LtxFileInfo info = null;
        for (LtxFileInfo f : client.listFiles(0, txid, false)) {
            if (f.minTxid() == txid && f.maxTxid() == txid) {
                info = f;
            }
        }
        if (info == null) {
            throw new ReplicaTransientException("own upload L0/" + Txid.format(txid)
                    + " is readable but not listed yet; adopting it on a later try");
        }
        return index.load(info);
    }

    /**
     * Looks for a file this writer uploaded on the buffer's base TXID + 1 without recording it (lost response,
     * failed buffer rewrite, crash): its header carries our NodeID and the re-encoding of a prefix of the held
     * transactions, with that file's own header, is byte-identical (same file checksum). The file is read
     * directly (a listing may lag); read failures propagate so the caller retries rather than guesses. One pass over
     * the transactions picks the prefixes with the file's page count and, when the base's state is known, its
     * post-apply checksum; only those are encoded (one, as a rule), newest first.
     *
     * @return the upload, or null when the file there is absent, someone else's or holds other content
     */
    OwnUpload find(WriteBuffer buf, StateOf state) throws IOException {
        return buf.transactions().isEmpty() ? null : find(buf, headerAtNext(buf), state);
    }

    /** {@link #find(WriteBuffer, StateOf)} with the header of the file at base + 1 already read (null: none). */
    OwnUpload find(WriteBuffer buf, LtxHeader next, StateOf state) throws IOException {
        if (buf.transactions().isEmpty()) {
            return null;
        }
        LoadedFile lf = ownFileAtNext(buf, next);
        if (lf == null) {
            return null;
        }
        long txid = buf.base().txid() + 1;
        byte[] tail = client.readRange(0, txid, txid, lf.info().size() - 8, 8);
        if (tail.length < 8) {
            throw new ReplicaTransientException("short read of the trailer of L0/" + Txid.format(txid));
        }
        long fileChecksum = ReplicaIndex.readLongAt(tail, 0);
        LtxHeader h = lf.header();
        PendingState run = h.noChecksum() || h.pageSize() != buf.pageSize() ? null : state.start(buf.base());
        List<Long> prefixes = new ArrayList<>();
        if (run == null) {
            for (CommittedTransaction t : buf.transactions()) {
                if (t.commitSize() == h.commitPages()) {
                    prefixes.add(t.seq());
                }
            }
        } else {
            // A stopped buffer reads only its durable prefix (HeldReads.checkReadable).
            for (SyncSnapshot t : buf.transactionSnapshots(Math.min(buf.lastCommittedSeq(), buf.uploadableSeq()))) {
                run.apply(t);
                if (run.commitSize() == h.commitPages() && run.postApply() == lf.postApplyChecksum()) {
                    prefixes.add(t.upToSeq());
                }
            }
        }
        for (int j = prefixes.size() - 1; j >= 0; j--) {
            long k = prefixes.get(j);
            SyncSnapshot snap = buf.snapshot(k);
            Map<Long, Integer> at = SnapshotPages.positions(snap);
            long[] pgnos = new long[lf.index().size()];
            // Same page set (a snapshot file holds every page): a prefix that wrote a page the file lacks is not it.
            boolean fits = txid == 1 || at.size() == pgnos.length;
            for (int i = 0; i < pgnos.length && fits; i++) {
                pgnos[i] = lf.index().pgno(i);
                fits = txid == 1 || at.containsKey(pgnos[i]);
            }
            if (!fits) {
                continue;
            }
            // Only the file checksum matters: encode into nothing.
            LtxEncodeResult e;
            try {
                e = LtxWriter.encode(OutputStream.nullOutputStream(), h, pgnos,
                        SnapshotPages.images(snap, at), lf.postApplyChecksum());
            } catch (LtxFormatException notThisPrefix) {
                // A snapshot's encoder checks the file's post-apply checksum against these pages: another prefix.
                continue;
            }
            if (e.fileChecksum() == fileChecksum) {
                return new OwnUpload(k, lf);
            }
        }
        return null;
    }

    /** The database state on a buffer base, ready for transactions in commit order; null when it cannot be known. */
    @FunctionalInterface
    interface StateOf {
        PendingState start(BufferBase base) throws IOException;
    }

    /**
     * The proof, kept by no record, that the replica at the buffer's base TXID + 1 is the database a prefix of the
     * held transactions makes: a file on any level that ends on that TXID (a level-0 file is exactly it; a compacted
     * one starts at or below it), carries checksums, and whose page count and post-apply checksum equal that
     * prefix's on the base. This covers an upload of a process that crashed before learning the create's outcome
     * when the bytes differ (the transactions were committed again after the restart) or its level-0 file was
     * compacted away. The prefix may hold several commits (one sync makes one TXID of many): the longest matching
     * one is adopted and the rest stays pending on the new base, where it applies the same as on the prefix's state.
     * Another database at that TXID (a rival's) has another checksum and stays a conflict; a level-0 file there
     * carrying another NodeID is a rival's without looking further (the NodeID is the buffer's writer id, which a
     * restart reads back from the buffer, so this writer's uploads keep carrying it). Only published commits (up to
     * {@code published}, the round's snapshot) are candidates: a commit durable in the buffer but not yet published
     * must not be marked synced under its committer. One pass over the transactions in commit order (PendingState).
     *
     * @return the upload to adopt, or null when no file proves it
     */
    OwnUpload findSameState(WriteBuffer buf, long published, StateOf state) throws IOException {
        BufferBase base = buf.base();
        if (buf.transactions().isEmpty() || base.txid() == 0 || base.postApplyChecksum() == 0) {
            return null;
        }
        long txid = base.txid() + 1;
        List<LoadedFile> candidates = new ArrayList<>();
        for (int level = 0; level <= ReplicaClient.MAX_LEVEL; level++) {
            for (LtxFileInfo f : client.listFiles(level, level == 0 ? txid : 0, false)) {
                if (f.maxTxid() == txid && Long.compareUnsigned(f.minTxid(), txid) <= 0) {
                    LoadedFile lf = index.load(f);
                    if (level == 0 && lf.header().nodeId() != buf.writerId()) {
                        return null; // another writer's file at base + 1: a real conflict, no need to look further
                    }
                    if (!lf.header().noChecksum() && lf.header().maxTxid() == txid
                            && lf.header().pageSize() == buf.pageSize()) {
                        candidates.add(lf);
                    }
                }
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        PendingState run = state.start(base);
        if (run == null) {
            return null; // the prefixes' states cannot be known: prove nothing
        }
        OwnUpload longest = null;
        for (SyncSnapshot t : buf.transactionSnapshots(Math.min(buf.lastCommittedSeq(), published))) {
            run.apply(t);
            for (LoadedFile lf : candidates) {
                if (lf.header().commitPages() == run.commitSize() && lf.postApplyChecksum() == run.postApply()) {
                    longest = new OwnUpload(t.upToSeq(), lf);
                }
            }
        }
        return longest;
    }

    /**
     * Open case of a long stop (docs/write-buffer-recovery.md, "After a failed fsync"): a stopped buffer trims its
     * uploads in memory only, so its file keeps an old base while compaction folds the uploads' level-0 files into
     * a higher level and retention deletes them; {@link #adoptAtOpen} then finds nothing at base + 1. The proof is
     * the state, as in {@link #findSameState}: the replica's latest version ({@code remote}, past the base, with a
     * checksum) is the database a prefix of the held transactions makes on the base, by page count and post-apply
     * checksum. Several uploads compacted into one file end past base + 1, so any TXID past the base is accepted.
     * A level-0 file at base + 1 carrying another NodeID is a rival's: no proof is looked for.
     *
     * @return the last sequence number of the longest matching prefix, or -1 when nothing proves it
     */
    long findStateAtOpen(WriteBuffer buf, DatabaseVersion remote, StateOf state) throws IOException {
        BufferBase base = buf.base();
        if (buf.transactions().isEmpty() || base.txid() == 0 || base.postApplyChecksum() == 0
                || remote.checksum() == 0 || remote.pageSize() != buf.pageSize()
                || Long.compareUnsigned(remote.txid(), base.txid()) <= 0) {
            return -1;
        }
        LtxHeader next = headerAtNext(buf);
        if (next != null && next.nodeId() != buf.writerId()) {
            return -1;
        }
        PendingState run = state.start(base);
        if (run == null) {
            return -1; // the base's state cannot be known (its files are gone): prove nothing
        }
        long longest = -1;
        for (SyncSnapshot t : buf.transactionSnapshots(Math.min(buf.lastCommittedSeq(), buf.uploadableSeq()))) {
            run.apply(t);
            if (run.commitSize() == remote.commit() && run.postApply() == remote.checksum()) {
                longest = t.upToSeq();
            }
        }
        return longest;
    }

    /**
     * The proof that the replica holds exactly the transactions of this writer's create of unknown outcome when its
     * level-0 file is gone (compacted into a higher level and deleted before this writer looked): a file on level 1
     * or above whose range starts at or below that TXID and ends on it, whose post-apply checksum (a compaction of
     * checksummed inputs carries the last one's) and page count equal the database that create makes. Nothing weaker
     * adopts: a file without checksums, or with another database at that TXID (a rival's), proves nothing.
     *
     * @return the upload to adopt (the higher-level file), or null when there is no such proof
     */
    OwnUpload findCompacted(WriteBuffer buf) throws IOException {
        Unknown u = unknown;
        long base = buf.base().txid();
        if (u == null || u.baseTxid() != base || u.txid() != base + 1 || u.postApplyChecksum() == 0) {
            return null;
        }
        long first = buf.lastCommittedSeq() - buf.transactions().size() + 1;
        if (buf.transactions().isEmpty() || u.upToSeq() < first || u.upToSeq() > buf.lastCommittedSeq()) {
            return null;
        }
        for (int level = 1; level <= ReplicaClient.MAX_LEVEL; level++) {
            // From 0: a file straddling the TXID starts below it (this path is rare: a lost response and a compaction).
            for (LtxFileInfo f : client.listFiles(level, 0, false)) {
                if (f.maxTxid() != u.txid() || Long.compareUnsigned(f.minTxid(), u.txid()) > 0) {
                    continue;
                }
                LoadedFile lf = index.load(f);
                LtxHeader h = lf.header();
                if (!h.noChecksum() && h.maxTxid() == u.txid() && h.commitPages() == u.commitPages()
                        && lf.postApplyChecksum() == u.postApplyChecksum()) {
                    return new OwnUpload(u.upToSeq(), lf);
                }
            }
        }
        return null;
    }
}
