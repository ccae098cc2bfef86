package dev.ltx4j.syncer;

import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The sync's pre-upload conflict check (issue 15): is there a file of another writer beyond the TXID the pending
 * transactions build on? In the common case one listing of level 0 from the base answers it; every level is listed
 * (the full check) only when that look is inconclusive. Why one level-0 listing is enough, and when it is not:
 * docs/request-economy-writer.md. Callers hold {@code db.syncLock}; not thread-safe otherwise.
 */
final class SyncCheck {
    /**
     * The longest a look at level 0 vouches for the levels above: no process deletes a level-0 file younger than
     * this (ltx4j's retention grace defaults to 15 minutes, Litestream's L0 retention to 5 minutes).
     */
    static final Duration MAX_HORIZON = Duration.ofMinutes(1);
    /**
     * A grace period shorter than this leaves no margin for the clock skew between this process and a deleting one
     * (a retention process whose clock runs ahead deletes earlier): every check is then a full one.
     */
    static final Duration MIN_GRACE = Duration.ofMinutes(1);

    private final ReplicaClient client;
    private final LongSupplier nanoTime;
    private final long horizonNanos;
    private final boolean skip;
    /** Per level (1..9), the min TXID of the last file the full check saw there: where its next listing seeks. */
    private final long[] seek = new long[ReplicaClient.MAX_LEVEL + 1];
    /** When a look last found nothing beyond the base it was given ({@code clearFor}); valid only while {@code clear}. */
    private long clearAt;
    private boolean clear;
    /** This writer's last upload, the file the next base's listing must show: TXID and size; -1 when unknown. */
    private long ownTxid = -1;
    private long ownSize;
    /** Listings of level 0 alone that were conclusive, and full checks (tests and the request-economy docs). */
    private long cheap;
    private long full;
    /** Whether the last full check listed a file reaching its base (the replica still holds it). */
    private boolean sawBase;

    /**
     * @param grace the retention grace this writer's deployment uses: the horizon is a quarter of it, at most
     *     {@link #MAX_HORIZON}; below {@link #MIN_GRACE} every check lists every level
     * @param skip the simulator's {@code skip-sync-check}: no check at all (the bug the check prevents)
     */
    SyncCheck(ReplicaClient client, LongSupplier nanoTime, Duration grace, boolean skip) {
        this.client = client;
        this.nanoTime = nanoTime;
        Duration quarter = grace.compareTo(MIN_GRACE) < 0 ? Duration.ZERO : grace.dividedBy(4);
        this.horizonNanos = (quarter.compareTo(MAX_HORIZON) < 0 ? quarter : MAX_HORIZON).toNanos();
        this.skip = skip;
    }

    /**
     * The highest max TXID another file beyond {@code base} reaches, else {@code base}: one listing of level 0 when
     * that is conclusive, else {@link #highestRemoteTxid} as well.
     */
    long remoteBeyond(long base) throws ReplicaException {
        if (skip) {
            return base;
        }
        long started = nanoTime.getAsLong();
        boolean recent = clear && started - clearAt < horizonNanos;
        if (recent && ownTxid == base) {
            // Level 0 from the base itself: the own base file must still be there (a replica replaced or rewound,
            // or a deletion of young files, would take it away), and any file beyond it is another writer's.
            List<LtxFileInfo> l0 = client.listFiles(0, base, false);
            long max = base;
            boolean ownSeen = false;
            for (LtxFileInfo f : l0) {
                if (f.minTxid() == base && f.maxTxid() == base && f.size() == ownSize) {
                    ownSeen = true;
                }
                if (Long.compareUnsigned(f.maxTxid(), max) > 0) {
                    max = f.maxTxid();
                }
            }
            if (max != base) {
                clear = false;
                return max; // beyond the base: an own earlier upload to adopt or a conflict, decided by the caller
            }
            if (ownSeen) {
                cheap++;
                clearAt = started;
                return base;
            }
        }
        full++;
        long max = highestRemoteTxid(base);
        clear = max == base;
        clearAt = started;
        return max;
    }

    /**
     * The full check: the highest max TXID beyond {@code base} on any level (level 0 listed from base + 1, the others
     * from the last file seen there), else {@code base}.
     */
    long highestRemoteTxid(long base) throws ReplicaException {
        long max = base;
        sawBase = false;
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            // Higher levels from the last file seen there (files within a level do not overlap, so any file there
            // that reaches past base starts at or after it), which keeps listings short. Level 0 from the base
            // itself (the same one request): its file shows the replica still holds the base (LostBaseCheck).
            long from = level == 0 ? base : seek[level];
            for (LtxFileInfo f : client.listFiles(level, from, false)) {
                sawBase |= Long.compareUnsigned(f.maxTxid(), base) >= 0;
                if (level > 0 && Long.compareUnsigned(f.minTxid(), seek[level]) > 0) {
                    seek[level] = f.minTxid();
                }
                if (Long.compareUnsigned(f.maxTxid(), max) > 0) {
                    max = f.maxTxid();
                }
            }
        }
        return max;
    }

    /**
     * This writer created L0 file {@code txid} ({@code size} bytes) on the base the last check cleared: the next
     * base. A look that cleared {@code txid - 1} also vouches for {@code txid}, since this create succeeded there.
     */
    void uploaded(long txid, long size) {
        ownTxid = txid;
        ownSize = size;
    }

    /** The base moved some other way (adoption, refresh, a failed install): the next check is a full one. */
    void forgetOwnUpload() {
        ownTxid = -1;
        clear = false;
    }

    /** Forgets the listing positions and what the last look cleared (after the replica was reloaded). */
    void relistEverything() {
        Arrays.fill(seek, 0);
        forgetOwnUpload();
    }

    /** Whether the last full check listed a file reaching its base (else {@link LostBaseCheck} looks closer). */
    boolean sawBase() {
        return sawBase;
    }

    /** Level-0 looks that were conclusive. */
    long cheapChecks() {
        return cheap;
    }

    /** Checks that listed every level. */
    long fullChecks() {
        return full;
    }
}
