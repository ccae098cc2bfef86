package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.SyncSnapshot;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * The database the write buffer's transactions make on its sync base, as a post-apply checksum kept current while
 * the transactions are applied in commit order, one pass for all prefixes: each page's current image is XOR-ed out
 * and the transaction's image in, and the pages a size change cuts off or brings back are XOR-ed out or in. Computed
 * from the images themselves, never from the page map's recorded checksums, which belong to the newest image of a
 * page and not to a prefix's. Used to prove that a replica file holds this writer's state when its bytes differ or no
 * record of the upload is left (docs/engine-invariants.md I5).
 */
final class PendingState {
    /** The page checksum of the base's page {@code pgno} (1..base commit size, not the lock page). */
    @FunctionalInterface
    interface BasePages {
        long checksum(long pgno) throws IOException;
    }

    private final int pageSize;
    private final long lockPgno;
    private final long baseCommit;
    private final BasePages basePages;
    private final DatabaseChecksum sum;
    /** The page checksum of every page's current image looked up or written so far (0: no image). */
    private final Map<Long, Long> current = new HashMap<>();
    private final byte[] page;
    private ByteBuffer window;
    private long commit;

    PendingState(BufferBase base, int pageSize, BasePages basePages) {
        this.pageSize = pageSize;
        this.lockPgno = Ltx.lockPgno(pageSize);
        this.baseCommit = base.commitSize();
        this.basePages = basePages;
        this.sum = new DatabaseChecksum(pageSize).reset(base.postApplyChecksum());
        this.page = new byte[pageSize];
        this.commit = baseCommit;
    }

    /**
     * The state of {@code db}'s write buffer base, ready to apply transactions on, or null when it cannot be known
     * (the base carries no checksum, or the published sync base is at another TXID).
     */
    static PendingState onBase(Database db, BufferBase base, int pageSize) {
        return onVersion(db, db.baseVersion(), base, pageSize);
    }

    /** The state of {@code base} when {@code old} is the replica's version at its TXID, else null. */
    static PendingState onVersion(Database db, DatabaseVersion old, BufferBase base, int pageSize) {
        if (base.txid() == 0 || base.postApplyChecksum() == 0 || old == null || old.txid() != base.txid()) {
            return null;
        }
        byte[] scratch = new byte[pageSize];
        return new PendingState(base, pageSize, p -> {
            long known = old.pages().checksum(p);
            if (known != 0) {
                return known;
            }
            return UploadEncoder.hashBasePage(db, old, p, scratch, pageSize);
        });
    }

    /** Applies the next transaction in commit order (a one-transaction snapshot, {@code transactionSnapshots}). */
    void apply(SyncSnapshot txn) throws IOException {
        long c = txn.commitSize();
        // A shrink cuts pages off with their current images, which are gone: a later growth that does not write them
        // brings back the base's image, as a file of the whole prefix would (it holds no page above a shrink).
        for (long p = c + 1; p <= commit; p++) {
            if (p != lockPgno) {
                sum.toggleChecksum(current(p));
                current.remove(p);
            }
        }
        for (long p = commit + 1; p <= c; p++) {
            if (p != lockPgno) {
                sum.toggleChecksum(current(p));
            }
        }
        commit = c;
        SyncSnapshot.Cursor cursor = txn.cursor(window);
        window = cursor.window();
        for (int i = 0; i < txn.pageCount(); i++) {
            long p = txn.pgno(i);
            if (p == lockPgno || p > c) {
                continue;
            }
            cursor.read(i, page);
            long now = Crc64.pageChecksum(p, page, 0, pageSize);
            sum.toggleChecksum(current(p) ^ now);
            current.put(p, now);
        }
    }

    /** The post-apply checksum after the transactions applied so far. */
    long postApply() {
        return sum.value();
    }

    /** The database size in pages after the transactions applied so far. */
    long commitSize() {
        return commit;
    }

    private long current(long p) throws IOException {
        Long known = current.get(p);
        if (known != null) {
            return known;
        }
        long c = p <= baseCommit ? basePages.checksum(p) : 0;
        current.put(p, c);
        return c;
    }
}
