package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.SyncSnapshot;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.LocalPage;
import dev.ltx4j.pagestore.replica.PageCache;
import dev.ltx4j.pagestore.replica.PageRef;
import dev.ltx4j.pagestore.replica.RemotePage;
import java.io.IOException;
import java.io.OutputStream;
import dev.ltx4j.pagestore.DirectBufferPool;
import java.nio.ByteBuffer;

/**
 * Encodes the LTX file of one sync round from a buffer snapshot, streaming: each page image is read from the
 * buffer file (checked against the buffer's record checksum by {@link SyncSnapshot.Cursor}), compressed and written
 * out, and the post-apply checksum is folded from the page checksums the page map keeps, so neither old images nor
 * the whole file are held.
 *
 * <p>A buffer in format version 2 (docs/write-buffer-recovery.md) holds each page as its LTX LZ4 block with its page
 * CRC-64, made when the page was written: the record is checked (CRC-32 chain, length bound) and its frame copied
 * ({@link LtxEncoder#writeCompressedPage}), nothing compressed or hashed here; pages kept to warm the cache keep a
 * copy of their block and CRC-64, which the cache decompresses and checks at their first read, if any
 * (docs/sync-cost.md, "Session 11"). A version 1 buffer (plain pages, written by an older build, until
 * its first rewrite) is encoded as before: each page is read from its record, checked against the record's CRC-32
 * chain, and compressed and hashed from those bytes. A page map entry that carries a checksum is taken without
 * hashing when it is the very record being read ({@link LtxEncoder#writePage(long, byte[], int, long)}).
 */
final class UploadEncoder {
    private UploadEncoder() {}

    /**
     * Pages kept to warm the cache, the first {@code length()} of the file's pages: plain images, or ({@code
     * block[k]}) the LZ4 block of the page's frame with its raw CRC-64, for {@link PageCache#putBlock}.
     */
    record Warm(byte[][] data, boolean[] block, long[] pageCrc) {
        static final Warm NONE = new Warm(new byte[0][], new boolean[0], new long[0]);

        Warm(int n) {
            this(new byte[n][], new boolean[n], new long[n]);
        }

        int length() {
            return data.length;
        }

        /** Caches the {@code k}-th kept page, page {@code pgno}, under its frame {@code rp}. */
        void putInto(PageCache cache, int k, RemotePage rp, long pgno, int pageSize) {
            if (block[k]) {
                cache.putBlock(rp, data[k], pgno, pageSize, pageCrc[k]);
            } else {
                cache.put(rp, data[k]);
            }
        }
    }

    /** Scratch of one sync engine's round (one round at a time): the buffer-read window. */
    static final class Reuse {
        private ByteBuffer window;
    }

    static SyncEngine.Encoded encode(Database db, DatabaseVersion v, SyncSnapshot snap, long txid, long millis,
            long nodeId, OutputStream out, Reuse reuse) throws IOException {
        try {
            return encodeRound(db, v, snap, txid, millis, nodeId, out, reuse);
        } finally {
            // Back to the process's pool: shared with the other databases' syncs, not held by an idle database.
            DirectBufferPool.give(reuse.window);
            reuse.window = null;
        }
    }

    private static SyncEngine.Encoded encodeRound(Database db, DatabaseVersion v, SyncSnapshot snap, long txid,
            long millis, long nodeId, OutputStream out, Reuse reuse) throws IOException {
        int ps = snap.pageSize();
        BufferBase base = snap.base();
        long commit = db.options.faults.uploadCommit(snap.commitSize(), base.commitSize()); // fault point, off
        boolean snapshotFile = txid == 1;
        boolean tracked = db.state().tracked();
        long[] pgnos = SnapshotPages.of(snap, snapshotFile, commit);
        if (!snapshotFile) {
            pgnos = db.options.faults.uploadPages(pgnos); // fault point, off
        }
        long[] checksums = new long[pgnos.length];
        // Copies of the first pages, up to a quarter of the cache, to seed the cache once their frames are known, so
        // reading recent writes right after a sync does not go to the replica. Bounded by the cache size.
        long warmBudget = db.reader().cache().capacityBytes() / 4;
        // Counted in plain pages although most are held compressed until read: a quarter of the cache once all are.
        int kept = (int) Math.min(pgnos.length, warmBudget / ps);
        Warm warm = kept == 0 ? Warm.NONE : new Warm(kept);
        byte[] zero = new byte[ps];
        LtxHeader header = LtxHeader.of(tracked ? 0 : Ltx.HEADER_FLAG_NO_CHECKSUM, ps, commit, txid, txid, millis,
                tracked && !snapshotFile ? base.postApplyChecksum() : 0).withNodeId(nodeId);
        // The trailer comes last, so the post-apply checksum can be folded from the checksums gathered while
        // encoding: the encoder takes it only at finish.
        LtxEncoder enc = new LtxEncoder(out, header, header.range().filename());
        // batched, checked reads of neighbouring records; the window from the pool, given back after the round
        SyncSnapshot.Cursor cursor = reuse.window != null ? snap.cursor(reuse.window) : snap.pooledCursor();
        reuse.window = cursor.window();
        int at = 0; // pages are asked for in ascending order, as the snapshot lists them: walk both together
        for (int k = 0; k < pgnos.length; k++) {
            long p = pgnos[k];
            while (at < snap.pageCount() && snap.pgno(at) < p) {
                at++;
            }
            boolean keep = k < kept;
            boolean buffered = at < snap.pageCount() && snap.pgno(at) == p;
            PageRef entry = v.pages().get(p);
            long recorded = entry != null ? v.pages().checksum(p) : 0;
            // Always known (also untracked): the page map and the verifier check later reads against it.
            checksums[k] = recorded;
            // The recorded checksum is this image's when the page map entry is the very record being read.
            boolean own = buffered && recorded != 0 && entry instanceof LocalPage lp
                    && lp.offset() == snap.recordOffset(at);
            if (buffered && cursor.compressed()) {
                // A version 2 record holds the page as the LTX frame does, with its page CRC-64 (from commit): checked
                // against its record's CRC-32 chain and its length bound by locateBlock, then copied as the frame.
                int b = cursor.locateBlock(at);
                ByteBuffer view = cursor.view();
                if (keep) { // a copy of the checked block (~1.7 KB here), decompressed by the cache at its first read
                    int n = cursor.blockLength();
                    byte[] copy = new byte[n];
                    view.get(b, copy, 0, n);
                    warm.data[k] = copy;
                    warm.block[k] = true;
                    warm.pageCrc[k] = cursor.pageCrc();
                }
                long imageSum = enc.writeCompressedPage(p, view, b, cursor.blockLength(), cursor.pageCrc());
                if (recorded == 0) { // as below: a recorded checksum is the page map's word (the simulator's
                    checksums[k] = imageSum; // stale-page-checksum switch makes it wrong, and must be caught)
                }
                continue;
            }
            if (buffered) {
                // Checked against its record's CRC-32 chain by locate, then compressed and hashed where it was read
                // (the cursor's direct window): no copy to the heap, no pinning of a heap array for native code.
                int at0 = cursor.locate(at);
                ByteBuffer view = cursor.view();
                if (keep) { // a page kept for the cache gets its own array
                    warm.data[k] = new byte[ps];
                    view.get(at0, warm.data[k], 0, ps);
                }
                if (own) {
                    enc.writePage(p, view, at0, recorded);
                    continue;
                }
                // One CRC pass gives the page checksum and feeds the file checksum (writePageChecksummed).
                long imageSum = enc.writePageChecksummed(p, view, at0);
                if (recorded == 0) {
                    checksums[k] = imageSum;
                }
                continue;
            }
            byte[] image = keep ? zero.clone() : zero; // a page the buffer does not hold: zeros (a grown file)
            if (keep) {
                warm.data[k] = image;
            }
            long imageSum = enc.writePageChecksummed(p, image, 0);
            if (recorded == 0) {
                checksums[k] = imageSum;
            }
        }
        long post = 0;
        if (tracked) {
            DatabaseChecksum sum = new DatabaseChecksum(ps).reset(snapshotFile ? 0 : base.postApplyChecksum());
            DatabaseVersion old = db.baseVersion();
            byte[] oldPage = null;
            for (int i = 0; i < pgnos.length; i++) {
                long p = pgnos[i];
                if (!snapshotFile && p <= base.commitSize()) {
                    oldPage = toggleOld(db, sum, old, p, oldPage, ps);
                }
                sum.toggleChecksum(checksums[i]);
            }
            for (long p = commit + 1; !snapshotFile && p <= base.commitSize(); p++) {
                oldPage = toggleOld(db, sum, old, p, oldPage, ps);
            }
            post = sum.value();
        }
        return new SyncEngine.Encoded(out instanceof Spool sp ? sp : null, enc.finish(post), pgnos, checksums, warm);
    }

    /** XORs the base version's page out of the checksum: by its recorded checksum, else by reading the image. */
    private static byte[] toggleOld(Database db, DatabaseChecksum sum, DatabaseVersion old, long p, byte[] scratch,
            int ps) throws IOException {
        if (p == Ltx.lockPgno(ps)) {
            return scratch;
        }
        long known = old.pages().checksum(p);
        if (known != 0) {
            sum.toggleChecksum(known);
            return scratch;
        }
        byte[] buf = scratch != null ? scratch : new byte[ps];
        sum.toggleChecksum(hashBasePage(db, old, p, buf, ps));
        return buf;
    }

    /** The LTX page checksum of page {@code p} of the base version {@code old}, read into {@code scratch}. */
    static long hashBasePage(Database db, DatabaseVersion old, long p, byte[] scratch, int ps) throws IOException {
        db.reader().readPage(old, p, scratch, null);
        return Crc64.pageChecksum(p, scratch, 0, ps);
    }
}
