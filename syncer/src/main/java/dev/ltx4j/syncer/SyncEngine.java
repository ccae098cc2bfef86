package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncodeResult;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.PageIndex;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.DatabaseVersion;
import dev.ltx4j.pagestore.LoadedFile;
import dev.ltx4j.pagestore.PageMap;
import dev.ltx4j.pagestore.RemoteFile;
import dev.ltx4j.pagestore.RemotePage;
import dev.ltx4j.pagestore.ReplicaIndex;
import dev.ltx4j.pagestore.SyncSnapshot;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaAlreadyExistsException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;

/**
 * The write-mode sync step: takes the committed, unsynced transactions up to a commit boundary, builds one LTX
 * file on the replica's TXID + 1, uploads it create-if-absent, and installs it into the page map before trimming
 * the buffer. The file is encoded streaming (page images read one at a time from the buffer file, spooled to a
 * temporary file when large) and its post-apply checksum comes from the page checksums kept in the page map, so
 * a sync reads neither old images nor holds the file in memory. Conflicts are prevented (listing every level first, exclusive create), resolved when ambiguous
 * (NodeID + file checksum read back) and, when real, made sticky and saved under {@code conflicts/}.
 * Callers hold {@code db.syncLock}.
 */
final class SyncEngine {
    private final Database db;
    /** Per level (1..9), the min TXID of the last file the conflict check saw there: where its next listing seeks. */
    private final long[] conflictSeek = new long[ReplicaClient.MAX_LEVEL + 1];

    /** LTX bytes the last round uploaded (0 when it adopted, failed or had nothing to do); read after a sync. */
    long lastUploadBytes;

    SyncEngine(Database db) {
        this.db = db;
    }

    /** One LTX file built for upload: where its bytes are and what the encoder wrote. */
    record Encoded(Spool spool, LtxEncodeResult result, long[] pgnos, long[] checksums, byte[][] warm) {
        long size() {
            return result.size();
        }
    }

    SyncOutcome syncLocked(Instant now) {
        // Each round either finishes, or adopts one file this writer uploaded earlier (its outcome was lost, or
        // the buffer could not record it) and goes on with what is left; the base advances every round.
        SyncOutcome adopted = null;
        lastUploadBytes = 0;
        while (true) {
            SyncOutcome o = syncRound(now);
            if (o != ADOPTED) {
                return o.status() == SyncOutcome.Status.NOTHING_TO_SYNC && adopted != null ? adopted : o;
            }
            adopted = new SyncOutcome(SyncOutcome.Status.SYNCED, db.current().txid(), db.syncedSeq, 0, null);
            db.lastSyncMillis = now.toEpochMilli();
            db.lastError = null;
        }
    }

    /** Marker outcome of a round that adopted an own upload (never returned to callers). */
    private static final SyncOutcome ADOPTED = new SyncOutcome(SyncOutcome.Status.SYNCED, 0, 0, 0, null);

    private SyncOutcome syncRound(Instant now) {
        ConflictInfo c = db.conflict;
        if (c != null) {
            return new SyncOutcome(SyncOutcome.Status.CONFLICT, c.baseTxid(), 0, 0, new ConflictException(c));
        }
        WriteBuffer buf = db.bufferOrNull();
        DatabaseVersion v = db.current();
        if (buf == null || v.localSeq() <= db.syncedSeq) {
            return new SyncOutcome(SyncOutcome.Status.NOTHING_TO_SYNC, v.txid(), 0, 0, null);
        }
        long baseTxid = v.txid();
        try {
            SyncSnapshot snap = buf.snapshot(v.localSeq());
            EngineTestHooks.preempt(EngineTestHooks.Point.SYNC_SNAPSHOT); // test hook: other steps may run here
            BufferBase base = snap.base();
            baseTxid = base.txid();
            long remote = highestRemoteTxid(base.txid());
            if (Long.compareUnsigned(remote, base.txid()) > 0) {
                return adoptInRun(buf) ? ADOPTED : conflict(base, remote, now);
            }
            long txid = base.txid() + 1;
            try (Spool spool = new Spool(db.spoolDirectory(), Spool.DEFAULT_MEMORY_LIMIT)) {
                Encoded built = build(v, snap, txid, now.toEpochMilli(), buf.writerId(), spool);
                try {
                    db.client.createFile(0, txid, txid, spool.body());
                } catch (ReplicaAlreadyExistsException | ReplicaOutcomeUnknownException e) {
                    Resolution r = resolve(txid, built, buf.writerId());
                    if (r == Resolution.ABSENT && e instanceof ReplicaOutcomeUnknownException) {
                        r = createAgain(txid, built, buf.writerId(), spool); // nothing landed: send it once more
                    }
                    if (r == Resolution.ABSENT) {
                        throw e; // nothing landed: the next sync uploads again on the same TXID
                    }
                    if (r == Resolution.OWN_EARLIER) {
                        return adoptInRun(buf) ? ADOPTED
                                : conflict(base, Math.max(txid, highestRemoteTxid(base.txid())), now);
                    }
                    if (r == Resolution.THEIRS) {
                        return conflict(base, Math.max(txid, highestRemoteTxid(base.txid())), now);
                    }
                }
                install(v, snap, built, txid, buf);
                lastUploadBytes = built.size();
            }
            db.lastSyncMillis = now.toEpochMilli();
            db.lastError = null;
            return new SyncOutcome(SyncOutcome.Status.SYNCED, txid, snap.upToSeq(), snap.pageCount(), null);
        } catch (IOException | RuntimeException e) {
            db.lastError = "sync failed: " + e.getMessage();
            return new SyncOutcome(SyncOutcome.Status.FAILED, baseTxid, 0, 0, e);
        }
    }

    /** Adopts an own earlier upload at the buffer's base + 1 into the running database; false if there is none. */
    private boolean adoptInRun(WriteBuffer buf) throws IOException {
        OwnUpload own = findOwnUpload(buf);
        if (own == null) {
            return false;
        }
        db.adoptUpload(own.upToSeq(), own.file());
        return true;
    }

    /** The highest max TXID beyond {@code base} on any level (level 0 listed from base + 1), else {@code base}. */
    long highestRemoteTxid(long base) throws ReplicaException {
        long max = base;
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            // Level 0 from base + 1; higher levels from the last file seen there (files within a level do not
            // overlap, so any file there that reaches past base starts at or after it), which keeps listings short.
            long seek = level == 0 ? base + 1 : conflictSeek[level];
            for (LtxFileInfo f : db.client.listFiles(level, seek, false)) {
                if (level > 0 && Long.compareUnsigned(f.minTxid(), conflictSeek[level]) > 0) {
                    conflictSeek[level] = f.minTxid();
                }
                if (Long.compareUnsigned(f.maxTxid(), max) > 0) {
                    max = f.maxTxid();
                }
            }
        }
        return max;
    }

    /** Forgets the conflict check's listing positions (after the replica was reloaded). */
    void relistEverything() {
        java.util.Arrays.fill(conflictSeek, 0);
    }

    private Encoded build(DatabaseVersion v, SyncSnapshot snap, long txid, long millis, long nodeId, OutputStream out)
            throws IOException {
        int ps = snap.pageSize();
        BufferBase base = snap.base();
        long commit = EngineTestHooks.uploadCommit(snap.commitSize(), base.commitSize()); // test hook, off
        boolean snapshotFile = txid == 1;
        boolean tracked = db.tracked;
        long lock = Ltx.lockPgno(ps);
        long[] pgnos;
        if (snapshotFile) {
            pgnos = LtxWriter.snapshotPages(ps, commit);
        } else {
            long[] all = new long[snap.pageCount()];
            int n = 0;
            for (int i = 0; i < snap.pageCount(); i++) {
                if (snap.pgno(i) != lock) {
                    all[n++] = snap.pgno(i);
                }
            }
            pgnos = EngineTestHooks.uploadPages(java.util.Arrays.copyOf(all, n)); // test hook, off
        }
        long[] checksums = new long[pgnos.length];
        // Copies of the first pages, up to a quarter of the cache, to seed the cache once their frames are known, so
        // reading recent writes right after a sync does not go to the replica. Bounded by the cache size.
        long warmBudget = db.reader.cache().capacityBytes() / 4;
        byte[][] warm = new byte[(int) Math.min(pgnos.length, warmBudget / ps)][];
        byte[] zero = new byte[ps];
        byte[] page = new byte[ps];
        // Pages are asked for in ascending order, as the snapshot lists them: walk both together.
        int[] at = {0};
        int[] k = {0};
        LtxWriter.Images images = p -> {
            while (at[0] < snap.pageCount() && snap.pgno(at[0]) < p) {
                at[0]++;
            }
            byte[] image;
            if (at[0] < snap.pageCount() && snap.pgno(at[0]) == p) {
                snap.readPage(at[0], page);
                image = page;
            } else {
                image = zero;
            }
            long sum = v.pages().get(p) != null ? v.pages().checksum(p) : 0;
            if (k[0] < warm.length) {
                warm[k[0]] = image.clone();
            }
            // Always known (also untracked): the page map and the verifier check later reads against it.
            checksums[k[0]++] = sum == 0 ? Crc64.pageChecksum(p, image, 0, ps) : sum;
            return image;
        };
        LtxHeader header = LtxHeader.of(tracked ? 0 : Ltx.HEADER_FLAG_NO_CHECKSUM, ps, commit, txid, txid, millis,
                tracked && !snapshotFile ? base.postApplyChecksum() : 0).withNodeId(nodeId);
        // The trailer comes last, so the post-apply checksum can be folded from the checksums gathered while
        // encoding: the encoder takes it only at finish.
        LtxEncoder enc = new LtxEncoder(out, header, header.range().filename());
        for (long p : pgnos) {
            enc.writePage(p, images.image(p), 0);
        }
        long post = 0;
        if (tracked) {
            DatabaseChecksum sum = new DatabaseChecksum(ps).reset(snapshotFile ? 0 : base.postApplyChecksum());
            DatabaseVersion old = db.baseVersion;
            byte[] oldPage = null;
            for (int i = 0; i < pgnos.length; i++) {
                long p = pgnos[i];
                if (!snapshotFile && p <= base.commitSize()) {
                    oldPage = toggleOld(sum, old, p, oldPage, ps);
                }
                sum.toggleChecksum(checksums[i]);
            }
            for (long p = commit + 1; !snapshotFile && p <= base.commitSize(); p++) {
                oldPage = toggleOld(sum, old, p, oldPage, ps);
            }
            post = sum.value();
        }
        return new Encoded(out instanceof Spool sp ? sp : null, enc.finish(post), pgnos, checksums, warm);
    }

    /** XORs the base version's page out of the checksum: by its recorded checksum, else by reading the image. */
    private byte[] toggleOld(DatabaseChecksum sum, DatabaseVersion old, long p, byte[] scratch, int ps)
            throws IOException {
        if (p == Ltx.lockPgno(ps)) {
            return scratch;
        }
        long known = old.pages().checksum(p);
        if (known != 0) {
            sum.toggleChecksum(known);
            return scratch;
        }
        byte[] buf = scratch != null ? scratch : new byte[ps];
        db.reader.readPage(old, p, buf, null);
        sum.toggle(p, buf, 0);
        return buf;
    }

    /**
     * What an ambiguous create left at its name: this very file (OURS), nothing (ABSENT), a file of this writer
     * from an earlier attempt or process (OWN_EARLIER: adopt it if it holds a prefix of the buffer), or another
     * writer's file (THEIRS).
     */
    private enum Resolution { OURS, THEIRS, ABSENT, OWN_EARLIER }

    /**
     * Resolves an ambiguous or "already exists" create by reading the object itself: a direct read is
     * read-after-write consistent where a listing may lag. Only a successful read decides; a read that fails
     * (transient error, short body) throws, leaving the outcome unknown for a later sync to resolve.
     */
    private Resolution resolve(long txid, Encoded built, long nodeId) throws IOException {
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
            tail = db.client.readRange(0, txid, txid, built.size() - 8, 0); // to the end: exactly 8 if same size
        } catch (ReplicaNotFoundException e) {
            throw new ReplicaTransientException("L0/" + Txid.format(txid) + " vanished while being read back", e);
        }
        if (tail.length == 8 && ReplicaIndex.readLongAt(tail, 0) == built.result().fileChecksum()) {
            return Resolution.OURS;
        }
        return Resolution.OWN_EARLIER;
    }

    /**
     * Sends a create that resolved as absent once more (the retry decorator never re-sends an ambiguous create, so
     * this is the one place that does), and resolves its outcome the same way if that one is ambiguous too.
     */
    private Resolution createAgain(long txid, Encoded built, long nodeId, Spool spool) throws IOException {
        try {
            db.client.createFile(0, txid, txid, spool.body());
            return Resolution.OURS;
        } catch (ReplicaAlreadyExistsException | ReplicaOutcomeUnknownException e) {
            return resolve(txid, built, nodeId);
        }
    }

    /**
     * The header of L0 file {@code txid}, or null when the bytes there are no LTX header (not a file this writer
     * made).
     *
     * @throws ReplicaNotFoundException when there is no such file
     * @throws ReplicaTransientException when the read returned fewer bytes than a header (a short read)
     */
    private LtxHeader readOwnHeader(long txid) throws IOException {
        byte[] head = db.client.readRange(0, txid, txid, 0, Ltx.HEADER_SIZE);
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
     * Publishes the uploaded file into the page map (each synced page becomes a remote entry carrying its page
     * checksum), advances the base, then trims the buffer and moves the remaining local pages to its new file.
     */
    private void install(DatabaseVersion v, SyncSnapshot snap, Encoded built, long txid, WriteBuffer buf)
            throws IOException {
        LtxHeader h = built.result().header();
        LtxFileInfo info = new LtxFileInfo(0, txid, txid, built.size(), Instant.ofEpochMilli(h.timestamp()));
        long post = built.result().postApplyChecksum();
        LoadedFile lf = new LoadedFile(info, h, built.result().pageIndex(), post);
        RemoteFile rf = lf.remoteFile();
        PageIndex idx = built.result().pageIndex();
        long[] sums = built.checksums();
        // Verified by construction: this engine built the bytes, so reads of it are checked against these sums.
        db.reader.verifier().registerOwn(rf, idx, sums);
        DatabaseVersion applied = ReplicaIndex.apply(db.baseVersion, lf);
        PageMap.Builder nb = applied.pages().edit();
        for (int i = 0; i < idx.size(); i++) {
            long p = idx.pgno(i);
            if (nb.get(p) != null) {
                nb.put(p, nb.get(p), sums[i]);
            }
        }
        DatabaseVersion newBase = new DatabaseVersion(applied.pageSize(), applied.commit(), applied.txid(),
                applied.localSeq(), applied.checksum(), nb.build());
        synchronized (db.stateLock) {
            DatabaseVersion c = db.current();
            PageMap.Builder b = c.pages().edit();
            for (int i = 0; i < idx.size(); i++) {
                long p = idx.pgno(i);
                Object synced = v.pages().get(p);
                RemotePage rp = new RemotePage(rf, idx.offset(i), idx.frameSize(i));
                if (c.pages().get(p) == synced) {
                    b.put(p, EngineTestHooks.ownUploadEntry(rp, db.baseVersion.pages().get(p)), // test hook, off
                            EngineTestHooks.forgetOwnUpload ? 0 : sums[i]);
                }
                if (i < built.warm().length) {
                    db.reader.cache().put(rp, built.warm()[i]);
                }
            }
            b.truncate(c.commit());
            db.publish(new DatabaseVersion(c.pageSize(), c.commit(), txid, c.localSeq(), 0, b.build()));
            db.baseVersion = newBase;
        }
        db.rewriteBuffer(() -> buf.markSynced(snap.upToSeq(), txid, post), null);
        db.syncedSeq = snap.upToSeq();
    }

    private SyncOutcome conflict(BufferBase base, long remoteTxid, Instant now) {
        ConflictInfo info = enterConflict(base, remoteTxid, now);
        return new SyncOutcome(SyncOutcome.Status.CONFLICT, base.txid(), 0, 0, new ConflictException(info));
    }

    /**
     * Marks the database conflicted and saves every held transaction as one LTX file under conflicts/. The
     * snapshot that is saved and the conflict flag are taken together under {@code db.commitGate}, which every
     * commit holds from its conflict check until its commit record is durable: a commit either made it into
     * the snapshot or fails with the conflict, so nothing acknowledged is left out of the saved file.
     */
    ConflictInfo enterConflict(BufferBase base, long remoteTxid, Instant now) {
        WriteBuffer buf = db.bufferOrNull();
        boolean race = EngineTestHooks.conflictSnapshotRace; // test hook, off: snapshot outside the gate
        SyncSnapshot snap = null;
        Exception snapFailure = null;
        long pending;
        if (!race) {
            db.commitGate.lock();
        }
        try {
            pending = buf == null ? 0 : db.pendingCommits();
            if (buf != null && pending > 0) {
                try {
                    snap = buf.snapshot();
                    pending = Math.max(0, snap.upToSeq() - db.syncedSeq);
                } catch (IOException | RuntimeException e) {
                    snapFailure = e;
                }
            }
            if (!race) {
                db.conflict = new ConflictInfo(base.txid(), remoteTxid, pending, null, now.toEpochMilli());
            }
        } finally {
            if (!race) {
                db.commitGate.unlock();
            }
        }
        EngineTestHooks.preempt(EngineTestHooks.Point.CONFLICT_SNAPSHOT); // test hook: other steps may run here
        Path saved = null;
        if (snap != null) {
            try {
                saved = save(snap, buf.writerId(), now);
                // (The race switch also restores the old belief that the saved file holds everything held.)
                db.savedThroughSeq = race ? Long.MAX_VALUE : Math.max(db.savedThroughSeq, snap.upToSeq());
            } catch (IOException | RuntimeException e) {
                snapFailure = e;
            }
        }
        if (snapFailure != null) {
            db.lastError = "could not save conflicting transactions (they stay in the write buffer; refresh saves"
                    + " them before dropping them): " + snapFailure.getMessage();
        }
        ConflictInfo info = new ConflictInfo(base.txid(), remoteTxid, pending, saved, now.toEpochMilli());
        db.conflict = info;
        return info;
    }

    /**
     * Saves every transaction the buffer holds beyond {@code db.syncedSeq} and what earlier saves covered under
     * conflicts/ (refresh calls this before it drops them). Callers hold the writer slot and {@code syncLock}.
     *
     * @return the saved file, or null when there was nothing unsaved
     */
    Path saveUnsaved(WriteBuffer buf, Instant now) throws IOException {
        long covered = Math.max(db.syncedSeq, db.savedThroughSeq);
        if (buf.transactions().isEmpty() || buf.lastCommittedSeq() <= covered) {
            return null;
        }
        SyncSnapshot snap = buf.snapshot();
        Path saved = save(snap, buf.writerId(), now);
        db.savedThroughSeq = snap.upToSeq();
        return saved;
    }

    /** Encodes a snapshot of held transactions as a NoChecksum LTX file on its base TXID + 1 and writes it. */
    private Path save(SyncSnapshot snap, long writerId, Instant now) throws IOException {
        int ps = snap.pageSize();
        long txid = snap.base().txid() + 1;
        long lock = Ltx.lockPgno(ps);
        long[] pgnos;
        if (txid == 1) {
            pgnos = LtxWriter.snapshotPages(ps, snap.commitSize());
        } else {
            pgnos = new long[snap.pageCount()];
            int n = 0;
            for (int i = 0; i < snap.pageCount(); i++) {
                if (snap.pgno(i) != lock) {
                    pgnos[n++] = snap.pgno(i);
                }
            }
            pgnos = java.util.Arrays.copyOf(pgnos, n);
        }
        java.util.Map<Long, Integer> at = new java.util.HashMap<>();
        for (int i = 0; i < snap.pageCount(); i++) {
            at.put(snap.pgno(i), i);
        }
        byte[] zero = new byte[ps];
        byte[] page = new byte[ps];
        LtxWriter.Images images = p -> {
            Integer i = at.get(p);
            if (i == null) {
                return zero;
            }
            snap.readPage(i, page);
            return page;
        };
        LtxHeader header = LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, ps, snap.commitSize(), txid, txid,
                now.toEpochMilli(), 0).withNodeId(writerId);
        Path dir = db.conflictDirectory;
        dev.ltx4j.pagestore.storage.SecureFiles.privateDirectory(dir, false); // owner-only; another user's refused
        String base = db.name.replaceAll("[^A-Za-z0-9._-]", "_");
        String stem = base + "-" + header.range() + "-" + now.toEpochMilli();
        Path target = dir.resolve(stem + ".ltx");
        for (int n = 1; Files.exists(target); n++) {
            target = dir.resolve(stem + "-" + n + ".ltx"); // never replace an earlier save
        }
        Path tmp = dir.resolve(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (OutputStream out = new java.io.BufferedOutputStream(
                dev.ltx4j.pagestore.storage.SecureFiles.newPrivateFile(tmp), 1 << 16)) {
            LtxWriter.encode(out, header, pgnos, images, 0);
        }
        force(tmp, false); // durable before a refresh may drop the buffer that holds the same transactions
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        force(dir, true);
        return target;
    }

    /** fsyncs a file, or a directory (where the platform allows it: an error there is ignored). */
    private static void force(Path p, boolean directory) throws IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p,
                directory ? java.nio.file.StandardOpenOption.READ : java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            if (!directory) {
                throw e;
            }
        }
    }

    /** An own upload found at the buffer's base + 1: the file and the last buffered transaction it holds. */
    record OwnUpload(long upToSeq, LoadedFile file) {}

    /**
     * Restart case: the replica is one TXID past the buffer's base and that file carries this writer's NodeID, so
     * a previous process uploaded it and crashed before trimming. Marks the matching prefix synced.
     *
     * @return true when the buffer advanced
     */
    boolean adoptOwnUpload(WriteBuffer buf) throws IOException {
        OwnUpload own = findOwnUpload(buf);
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
        long txid = buf.base().txid() + 1;
        LtxHeader head;
        try {
            head = readOwnHeader(txid);
        } catch (ReplicaNotFoundException e) {
            return null;
        }
        if (head == null || head.nodeId() != buf.writerId()) {
            return null;
        }
        LtxFileInfo info = null;
        for (LtxFileInfo f : db.client.listFiles(0, txid, false)) {
            if (f.minTxid() == txid && f.maxTxid() == txid) {
                info = f;
            }
        }
        if (info == null) {
            throw new ReplicaTransientException("own upload L0/" + Txid.format(txid)
                    + " is readable but not listed yet; adopting it on a later try");
        }
        return db.index.load(info);
    }

    /**
     * Looks for a file this writer uploaded on the buffer's base TXID + 1 without recording it (lost response,
     * failed buffer rewrite, crash): its header carries our NodeID and the re-encoding of a prefix of the held
     * transactions, with that file's own header, is byte-identical (same file checksum). The file is read
     * directly (a listing may lag); read failures propagate so the caller retries rather than guesses.
     *
     * @return the upload, or null when the file there is absent, someone else's or holds other content
     */
    OwnUpload findOwnUpload(WriteBuffer buf) throws IOException {
        if (buf.transactions().isEmpty()) {
            return null;
        }
        LoadedFile lf = ownFileAtNext(buf);
        if (lf == null) {
            return null;
        }
        long txid = buf.base().txid() + 1;
        byte[] tail = db.client.readRange(0, txid, txid, lf.info().size() - 8, 8);
        if (tail.length < 8) {
            throw new ReplicaTransientException("short read of the trailer of L0/" + Txid.format(txid));
        }
        long fileChecksum = ReplicaIndex.readLongAt(tail, 0);
        long lock = Ltx.lockPgno(buf.pageSize());
        long first = buf.lastCommittedSeq() - buf.transactions().size() + 1;
        for (long k = buf.lastCommittedSeq(); k >= first; k--) {
            SyncSnapshot snap = buf.snapshot(k);
            if (snap.commitSize() != lf.header().commitPages()) {
                continue;
            }
            java.util.Map<Long, Integer> at = new java.util.HashMap<>();
            for (int i = 0; i < snap.pageCount(); i++) {
                if (snap.pgno(i) != lock) {
                    at.put(snap.pgno(i), i);
                }
            }
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
            int ps = snap.pageSize();
            byte[] page = new byte[ps];
            byte[] zero = new byte[ps];
            // Only the file checksum matters: encode into nothing.
            LtxEncodeResult e;
            try {
                e = LtxWriter.encode(OutputStream.nullOutputStream(), lf.header(), pgnos, p -> {
                    Integer i = at.get(p);
                    if (i == null) {
                        return zero;
                    }
                    snap.readPage(i, page);
                    return page;
                }, lf.postApplyChecksum());
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
}
