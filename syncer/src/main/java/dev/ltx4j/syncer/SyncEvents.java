package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import java.util.concurrent.atomic.AtomicLong;

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
    /** Failures since the last successful sync. */
    private long failureStreak;

    /** Called with the sync lock held. */
    void record(String database, SyncOutcome o, long bytes, long millis) {
        switch (o.status()) {
            case SYNCED -> {
                syncs.incrementAndGet();
                syncMillis.addAndGet(millis);
                syncedBytes.addAndGet(bytes);
                syncedPages.addAndGet(o.pages());
                Database.log().debug("database \"{}\": synced TXID {} ({} pages, {} bytes) in {} ms", database,
                        Txid.format(o.txid()), o.pages(), bytes, millis);
                if (failureStreak > 0) {
                    Database.log().info("database \"{}\": sync succeeded again after {} failed attempt(s)", database,
                            failureStreak);
                    failureStreak = 0;
                }
            }
            case FAILED -> {
                failures.incrementAndGet();
                String why = o.error() == null ? "unknown error" : o.error().getMessage();
                if (failureStreak++ == 0) {
                    Database.log().warn("database \"{}\": sync on TXID {} failed, retrying every sync interval: {}",
                            database, Txid.format(o.txid()), why);
                } else {
                    Database.log().debug("database \"{}\": sync failed again (attempt {}): {}", database,
                            failureStreak, why);
                }
            }
            default -> { }
        }
    }
}
