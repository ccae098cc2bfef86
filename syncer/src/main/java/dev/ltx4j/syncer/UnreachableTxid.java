package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.util.ArrayList;
import java.util.List;

/**
 * Why no restore plan reaches a TXID, from one listing of every level (docs/time-travel.md, "When a past state cannot
 * be rebuilt"): it is beyond the replica's head (the replica ends before it: replaced or rolled back), the chain from
 * TXID 1 has a gap below it that no file on any level fills (a file deleted by hand or lost), or its TXIDs survive only
 * inside a compacted file or snapshot that ends after it, the files ending at it deleted (retention). Only on the
 * failure path: ten LIST requests.
 */
record UnreachableTxid(Kind kind, String detail, ReplicaException listingFailure) {
    enum Kind { BEYOND_HEAD, GAP, RETENTION, REACHABLE, UNKNOWN }

    UnreachableTxid(Kind kind, String detail) {
        this(kind, detail, null);
    }

    /**
     * Like {@link #of(ReplicaClient, long)}, but a listing that fails (a transient S3 error, an unreachable replica)
     * is {@link Kind#UNKNOWN} carrying the failure: the caller still throws its own error, with its own cause, and
     * suppresses this one, rather than losing that error to the listing's.
     */
    static UnreachableTxid orUnknown(ReplicaClient client, long txid) {
        try {
            return of(client, txid);
        } catch (ReplicaException e) {
            return new UnreachableTxid(Kind.UNKNOWN, "TXID " + Txid.format(txid) + " could not be classified: listing"
                    + " the replica failed (" + e.getMessage() + ")", e);
        }
    }

    /** Classifies {@code txid} over the replica's files as they are listed now. */
    static UnreachableTxid of(ReplicaClient client, long txid) throws ReplicaException {
        List<LtxFileInfo> all = new ArrayList<>();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            all.addAll(client.listFiles(level, 0, false));
        }
        return of(all, txid);
    }

    static UnreachableTxid of(List<LtxFileInfo> all, long txid) {
        String t = "TXID " + Txid.format(txid);
        LtxFileInfo head = null;
        for (LtxFileInfo f : all) {
            if (head == null || Long.compareUnsigned(f.maxTxid(), head.maxTxid()) > 0) {
                head = f;
            }
        }
        if (head == null) {
            return new UnreachableTxid(Kind.BEYOND_HEAD, t + " is beyond the replica's head: the replica lists no LTX"
                    + " file at all (emptied or replaced?)");
        }
        if (Long.compareUnsigned(txid, head.maxTxid()) > 0) {
            return new UnreachableTxid(Kind.BEYOND_HEAD, t + " is beyond the replica's head: its newest file is " + head
                    + ", ending at TXID " + Txid.format(head.maxTxid()) + " (the replica was replaced or rolled back)");
        }
        // The chain from TXID 1 over files ending at or before the TXID, as the restore planner builds it.
        long reached = 0;
        LtxFileInfo last = null;
        while (true) {
            LtxFileInfo best = null;
            for (LtxFileInfo f : all) {
                boolean joins = Long.compareUnsigned(f.minTxid(), reached + 1) <= 0
                        && Long.compareUnsigned(f.maxTxid(), reached) > 0
                        && Long.compareUnsigned(f.maxTxid(), txid) <= 0;
                if (joins && (best == null || Long.compareUnsigned(f.maxTxid(), best.maxTxid()) > 0)) {
                    best = f;
                }
            }
            if (best == null) {
                break;
            }
            reached = best.maxTxid();
            last = best;
        }
        if (reached == txid) {
            return new UnreachableTxid(Kind.REACHABLE, t + " is reachable over the files listed now (ending with "
                    + last + "); a file of its chain was gone or unreadable when it was planned");
        }
        long hole = reached + 1;
        String upTo = last == null ? "no file starts the chain at TXID 1" : "the chain from TXID 1 ends at TXID "
                + Txid.format(reached) + " (" + last + ")";
        LtxFileInfo covering = null;
        LtxFileInfo next = null;
        for (LtxFileInfo f : all) {
            if (Long.compareUnsigned(f.minTxid(), hole) <= 0 && Long.compareUnsigned(f.maxTxid(), hole) >= 0) {
                if (covering == null || Long.compareUnsigned(f.maxTxid(), covering.maxTxid()) < 0) {
                    covering = f;
                }
            } else if (Long.compareUnsigned(f.minTxid(), hole) > 0
                    && (next == null || Long.compareUnsigned(f.minTxid(), next.minTxid()) < 0)) {
                next = f;
            }
        }
        if (covering != null) {
            return new UnreachableTxid(Kind.RETENTION, t + " is deleted by retention: " + upTo + ", and TXIDs "
                    + Txid.format(hole) + ".." + Txid.format(txid) + " are only inside " + covering + ", which ends"
                    + " after it (at TXID " + Txid.format(covering.maxTxid()) + "); the files ending at " + t
                    + " were deleted once it held them");
        }
        return new UnreachableTxid(Kind.GAP, t + " is behind a gap in the replica: " + upTo + ", and no file on any"
                + " level holds TXID " + Txid.format(hole) + (next == null ? "" : "; the next file, " + next
                + ", starts at TXID " + Txid.format(next.minTxid())) + " (a missing file: deleted by hand or lost)");
    }
}
