package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.pagestore.SyncSnapshot;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/** The pages of a buffer snapshot that go into an LTX file, built in one place for uploads, saves and adoption. */
final class SnapshotPages {
    private SnapshotPages() {}

    /**
     * The page numbers an LTX file of {@code snap} holds, ascending: for a snapshot file (TXID 1) every page 1..
     * {@code commit} but the lock page, else the snapshot's pages but the lock page.
     */
    static long[] of(SyncSnapshot snap, boolean snapshotFile, long commit) {
        if (snapshotFile) {
            return LtxWriter.snapshotPages(snap.pageSize(), commit);
        }
        long lock = Ltx.lockPgno(snap.pageSize());
        long[] all = new long[snap.pageCount()];
        int n = 0;
        for (int i = 0; i < snap.pageCount(); i++) {
            if (snap.pgno(i) != lock) {
                all[n++] = snap.pgno(i);
            }
        }
        return n == all.length ? all : Arrays.copyOf(all, n);
    }

    /** Page number to its position in {@code snap}, the lock page left out. */
    static Map<Long, Integer> positions(SyncSnapshot snap) {
        long lock = Ltx.lockPgno(snap.pageSize());
        Map<Long, Integer> at = new HashMap<>();
        for (int i = 0; i < snap.pageCount(); i++) {
            if (snap.pgno(i) != lock) {
                at.put(snap.pgno(i), i);
            }
        }
        return at;
    }

    /** Images read from {@code snap} by position (zeros for a page it does not hold), into one reused array. */
    static LtxWriter.Images images(SyncSnapshot snap, Map<Long, Integer> at) {
        byte[] zero = new byte[snap.pageSize()];
        byte[] page = new byte[snap.pageSize()];
        return p -> {
            Integer i = at.get(p);
            if (i == null) {
                return zero;
            }
            snap.readPage(i, page);
            return page;
        };
    }
}
