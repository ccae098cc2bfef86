package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.PageCache;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.replica.StoreRequests;
import java.util.Map;

/** Assembles {@link DatabaseStatus} and {@link EngineMetrics} from one look at a database's state; writes nothing. */
final class StatusReport {
    private StatusReport() {}

    /** Status for {@code litestream_status()}. */
    static DatabaseStatus status(Database db) {
        long now = db.options.clock.millis();
        WriteBuffer b = db.bufferOrNull();
        DatabaseVersion v = db.current();
        EngineState s = db.state();
        String where = b != null ? b.location() : (db.isWriteMode() ? db.files.describeBuffer() : null);
        // A stopped buffer (disk full, I/O error) fails every write until refresh or reopen: it outranks the last
        // sync or poll error, which a later successful sync would clear although writes still fail.
        String bufferFailure = b != null ? b.failureMessage() : null;
        if (bufferFailure == null && b != null) {
            bufferFailure = b.fullDiskMessage(); // the last commit found the disk full; the next may succeed
        }
        if (!db.isWriteMode()) {
            FollowerStatus f = db.follower.status(now);
            long asOf = f.currentAsOfMillis();
            return new DatabaseStatus("read", v.txid(), 0, s.lastSyncMillis(), asOf < 0 ? -1 : Math.max(0, now - asOf),
                    null, null, v.pageSize(), v.commit(), db.lastError(), null, f, db.reader().verifier().stats(),
                    db.compaction.status());
        }
        // Write-mode lag: how long the oldest commit not yet in the replica has waited; 0 when all is synced, so
        // an idle database does not look like it is falling behind.
        long oldest = b == null ? -1 : b.oldestCommitMillisAfter(db.syncedSeq());
        return new DatabaseStatus("write", v.txid(), db.pendingCommits(), s.lastSyncMillis(),
                oldest < 0 ? 0 : Math.max(0, now - oldest), s.conflict(), where, v.pageSize(), v.commit(),
                bufferFailure != null ? bufferFailure : db.lastError(), s.bufferRecovery(), null,
                db.reader().verifier().stats(), db.compaction.status());
    }

    /** Counters and gauges for a metrics registry; see {@link EngineMetrics} and docs/metrics-and-logs.md. */
    static EngineMetrics metrics(Database db) {
        DatabaseStatus st = status(db);
        WriteBuffer b = db.bufferOrNull();
        long pendingBytes = b == null ? 0 : b.pageRecordsAfter(db.syncedSeq()) * Math.max(0, st.pageSize());
        PageCache cache = db.reader().cache();
        SyncEvents e = db.events;
        return new EngineMetrics(e.syncs.get(), e.syncMillis.get(), e.syncedBytes.get(), e.syncedPages.get(),
                e.failures.get(), e.conflicts.get(), st.pendingCommits(), pendingBytes, st.lagMillis(),
                b == null ? 0 : b.logSize(), cache.hits(), cache.misses(), db.client.requestsByKindAndOutcome(),
                db.client.retries(), db.client.storeRequests().map(StoreRequests::byKindAndOutcome).orElse(Map.of()));
    }
}
