package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts and logs what each sync did: done at debug (TXID, pages, bytes, ms); a failure at warn the first time in a
 * streak (the scheduler retries every interval, so an outage would otherwise log once per interval) and at debug
 * after that; the end of a streak at info. Messages carry exception messages, which backends keep free of secrets.
 */
final class SyncEvents {
    final AtomicLong syncs = new AtomicLong();
    final AtomicLong syncMillis = new AtomicLong();
    final AtomicLong syncedBytes = new AtomicLong();
    final AtomicLong syncedPages = new AtomicLong();
    final AtomicLong failures = new AtomicLong();
    final AtomicLong conflicts = new AtomicLong();
    /** The conflict last logged, so each one is logged once however often it is seen. */
    private final AtomicReference<ConflictInfo> loggedConflict = new AtomicReference<>();
    /** Failures since the last successful sync. */
    private long failureStreak;

    /**
     * Called with the sync lock held; {@code pending} is the unsynced transactions after the round (those a failed
     * sync was uploading, and any committed while it ran).
     */
    void record(String database, SyncOutcome o, long bytes, long millis, long pending) {
        switch (o.status()) {
            case SYNCED -> {
                syncs.incrementAndGet();
                syncMillis.addAndGet(millis);
                syncedBytes.addAndGet(bytes);
                syncedPages.addAndGet(o.pages());
                Database.log().debug("database \"{}\": synced TXID {} ({} pages, {} bytes) in {} ms", database,
                        Txid.format(o.txid()), o.pages(), bytes, millis);
                if (failureStreak > 0) {
                    // The synced line above is debug: an operator at info learns here where the replica stands.
                    Database.log().info("database \"{}\": sync succeeded again after {} failed attempt(s): the replica"
                            + " is at TXID {}", database, failureStreak, Txid.format(o.txid()));
                    failureStreak = 0;
                }
            }
            case FAILED -> {
                failures.incrementAndGet();
                String why = o.error() == null ? "unknown error" : o.error().getMessage();
                String what = uploading(o.txid(), pending);
                if (failureStreak++ == 0) {
                    Database.log().warn("database \"{}\": sync of {} failed, retrying every sync interval: {}",
                            database, what, why);
                } else {
                    Database.log().debug("database \"{}\": sync of {} failed again (attempt {}): {}", database, what,
                            failureStreak, why);
                }
            }
            default -> { }
        }
    }

    /**
     * What a failed sync was uploading: a failed outcome's TXID is the replica's (the base), and a sync uploads its
     * unsynced transactions as the next TXID (field probes, round 6: the warning named only the replica's TXID).
     */
    static String uploading(long replicaTxid, long pending) {
        String base = "the replica's TXID " + Txid.format(replicaTxid);
        if (replicaTxid == -1L) { // LAST_TXID: there is no next one (the reason says so)
            return pending + " unsynced transaction(s) on " + base;
        }
        return "TXID " + Txid.format(replicaTxid + 1) + " (" + pending + " unsynced transaction(s) on " + base + ")";
    }

    /**
     * Logs a conflict at warn the first time it is seen (null: none), when the sync (or the open) detects it: the
     * application may never look at the status, and SQLite only reports "database is locked" at the next commit.
     */
    void conflictSeen(String database, ConflictInfo c) {
        ConflictInfo logged = loggedConflict.get();
        if (c == null || c == logged || !loggedConflict.compareAndSet(logged, c)) {
            return;
        }
        conflicts.incrementAndGet();
        Database.log().warn("database \"{}\": {}", database, c.message());
    }
}
