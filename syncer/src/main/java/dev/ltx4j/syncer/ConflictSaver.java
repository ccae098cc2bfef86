package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.SyncSnapshot;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.storage.FileLogStorage;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import dev.ltx4j.pagestore.storage.SecureFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Raises a conflict and saves the transactions this writer holds beyond the replica as one NoChecksum LTX file under
 * {@code conflicts/}, so nothing acknowledged is lost when a refresh drops them (docs/engine-invariants.md I6, I7).
 * Files are written through a {@link LogStorage} over the conflict directory, the seam the write buffer uses.
 */
final class ConflictSaver {
    private final Database db;

    ConflictSaver(Database db) {
        this.db = db;
    }

    /** A raised conflict, and the error to report when its transactions could not be saved (else null). */
    record Raised(ConflictInfo info, String error) {}

    /**
     * Marks the database conflicted and saves every held transaction as one LTX file under conflicts/. The
     * snapshot that is saved and the conflict flag are taken together under {@code db.commitGate}, which every
     * commit holds from its conflict check until its commit record is durable: a commit either made it into
     * the snapshot or fails with the conflict, so nothing acknowledged is left out of the saved file (I6).
     * Callers hold {@code syncLock} (or run at open).
     */
    Raised raise(BufferBase base, long remoteTxid, Instant now) {
        return raise(base, remoteTxid, now, null);
    }

    /** As above, with what is known about how the replica got past the base ({@link ConflictInfo#cause()}). */
    Raised raise(BufferBase base, long remoteTxid, Instant now, String cause) {
        WriteBuffer buf = db.bufferOrNull();
        boolean race = db.options.faults.conflictSnapshotRace; // fault point, off: snapshot outside the gate
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
                    // A stopped buffer reads only its durable prefix: saved now; what a reopen recovers after it
                    // (durability none's unforced commits, a failed commit's record) is saved by the refresh.
                    long upTo = Math.min(buf.lastCommittedSeq(), buf.uploadableSeq());
                    if (!buf.stopped() || upTo > db.syncedSeq()) {
                        snap = buf.stopped() ? buf.snapshot(upTo) : buf.snapshot();
                        pending = Math.max(0, snap.upToSeq() - db.syncedSeq());
                    }
                } catch (IOException | RuntimeException e) {
                    snapFailure = e;
                }
            }
            if (!race) {
                ConflictInfo early = new ConflictInfo(base.txid(), remoteTxid, pending, null, now.toEpochMilli(), cause);
                db.updateState(s -> s.withConflict(early));
            }
        } finally {
            if (!race) {
                db.commitGate.unlock();
            }
        }
        db.options.faults.preempt(EngineFaults.Point.CONFLICT_SNAPSHOT); // fault point: other steps may run here
        Path saved = null;
        long savedThrough = -1;
        if (snap != null) {
            try {
                saved = save(snap, buf.writerId(), now);
                // (The race switch also restores the old belief that the saved file holds everything held.)
                savedThrough = race ? Long.MAX_VALUE : snap.upToSeq();
            } catch (IOException | RuntimeException e) {
                snapFailure = e;
            }
        }
        String error = snapFailure == null ? null : "could not save conflicting transactions (they stay in the write"
                + " buffer; refresh saves them before dropping them): " + snapFailure.getMessage();
        ConflictInfo info = new ConflictInfo(base.txid(), remoteTxid, pending, saved, now.toEpochMilli(), cause);
        long through = savedThrough;
        db.updateState(s -> s.withConflict(info).withSavedThrough(Math.max(s.savedThroughSeq(), through)));
        return new Raised(info, error);
    }

    /**
     * Saves every transaction the buffer holds beyond what sync and earlier saves cover (refresh calls this before
     * it drops them). Callers hold the writer slot and {@code syncLock}.
     *
     * @return the last sequence number saved, or -1 when there was nothing unsaved
     */
    long saveUnsaved(WriteBuffer buf, Instant now) throws IOException {
        long covered = Math.max(db.syncedSeq(), db.state().savedThroughSeq());
        if (buf.transactions().isEmpty() || buf.lastCommittedSeq() <= covered) {
            return -1;
        }
        SyncSnapshot snap = buf.snapshot();
        save(snap, buf.writerId(), now);
        return snap.upToSeq();
    }

    /** Encodes a snapshot of held transactions as a NoChecksum LTX file on its base TXID + 1 and writes it. */
    private Path save(SyncSnapshot snap, long writerId, Instant now) throws IOException {
        int ps = snap.pageSize();
        long txid = snap.base().txid() + 1;
        long[] pgnos = SnapshotPages.of(snap, txid == 1, snap.commitSize());
        LtxWriter.Images images = SnapshotPages.images(snap, SnapshotPages.positions(snap));
        LtxHeader header = LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, ps, snap.commitSize(), txid, txid,
                now.toEpochMilli(), 0).withNodeId(writerId);
        Path dir = db.files.conflictDirectory();
        SecureFiles.privateDirectory(dir, false); // owner-only; another user's refused
        LogStorage storage = new FileLogStorage(dir, 0);
        String base = db.name.replaceAll("[^A-Za-z0-9._-]", "_");
        String stem = base + "-" + header.range() + "-" + now.toEpochMilli();
        String target = stem + ".ltx";
        for (int n = 1; storage.exists(target); n++) {
            target = stem + "-" + n + ".ltx"; // never replace an earlier save
        }
        String tmp = target + ".tmp";
        try (LogFile file = storage.create(tmp); OutputStream out = new Appender(file)) {
            LtxWriter.encode(out, header, pgnos, images, 0);
            out.flush();
            file.force(); // durable before a refresh may drop the buffer that holds the same transactions
        }
        storage.replace(tmp, target);
        try {
            storage.syncDirectory();
        } catch (IOException e) {
            // Where the platform cannot fsync a directory, the rename is as durable as it gets.
        }
        return dir.resolve(target);
    }

    /** Appends to a {@link LogFile} through a 64 KiB buffer. */
    private static final class Appender extends OutputStream {
        private final LogFile file;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        private long position;

        Appender(LogFile file) {
            this.file = file;
        }

        @Override
        public void write(int b) throws IOException {
            if (!buf.hasRemaining()) {
                flush();
            }
            buf.put((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (!buf.hasRemaining()) {
                    flush();
                }
                int n = Math.min(len, buf.remaining());
                buf.put(b, off, n);
                off += n;
                len -= n;
            }
        }

        @Override
        public void flush() throws IOException {
            buf.flip();
            int n = buf.remaining();
            if (n > 0) {
                file.write(position, buf);
                position += n;
            }
            buf.clear();
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
