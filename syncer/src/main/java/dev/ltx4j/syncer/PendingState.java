package dev.ltx4j.syncer;

import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.SyncSnapshot;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import java.io.IOException;

/**
 * The database a prefix of the write buffer makes on its sync base, as a post-apply checksum: the base's checksum
 * with the base's images of the pages the prefix writes (and of the pages a shrink cuts off) toggled out and the
 * prefix's images toggled in. Computed from the images themselves, never from the page map's recorded checksums,
 * which belong to the newest image of a page and not to a prefix's. Used to prove that a replica file holds this
 * writer's state when its bytes differ (docs/engine-invariants.md I5).
 */
final class PendingState {
    private PendingState() {}

    /**
     * The post-apply checksum {@code snap} makes on its base, or 0 when it cannot be known (the base carries no
     * checksum, or the published sync base is at another TXID).
     */
    static long postApply(Database db, SyncSnapshot snap) throws IOException {
        BufferBase base = snap.base();
        DatabaseVersion old = db.baseVersion();
        if (base.txid() == 0 || base.postApplyChecksum() == 0 || old == null || old.txid() != base.txid()) {
            return 0;
        }
        int ps = snap.pageSize();
        long lock = Ltx.lockPgno(ps);
        long commit = snap.commitSize();
        DatabaseChecksum sum = new DatabaseChecksum(ps).reset(base.postApplyChecksum());
        byte[] page = new byte[ps];
        for (int i = 0; i < snap.pageCount(); i++) {
            long p = snap.pgno(i);
            if (p == lock || p > commit) {
                continue;
            }
            if (p <= base.commitSize()) {
                toggleOld(db, sum, old, p, page);
            }
            snap.readPage(i, page);
            sum.toggle(p, page, 0);
        }
        for (long p = commit + 1; p <= base.commitSize(); p++) {
            if (p != lock) {
                toggleOld(db, sum, old, p, page);
            }
        }
        return sum.value();
    }

    /** XORs the base's page {@code p} out: by its recorded checksum, else by reading its image. */
    private static void toggleOld(Database db, DatabaseChecksum sum, DatabaseVersion old, long p, byte[] scratch)
            throws IOException {
        long known = old.pages().checksum(p);
        if (known != 0) {
            sum.toggleChecksum(known);
            return;
        }
        db.reader().readPage(old, p, scratch, null);
        sum.toggle(p, scratch, 0);
    }
}
