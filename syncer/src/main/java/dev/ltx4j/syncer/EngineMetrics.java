package dev.ltx4j.syncer;

import java.util.Map;

/**
 * Counters and gauges of one database, read by polling {@link Database#metrics()} (a metrics registry binds them as
 * function counters and gauges; the engine depends on no metrics library). Counters are cumulative since the open.
 * Names used in docs/metrics-and-logs.md are given per component.
 *
 * @param syncs             uploads that reached the replica ({@code ltx4j.sync.duration} count)
 * @param syncMillis        total clock time those syncs took ({@code ltx4j.sync.duration} total)
 * @param syncedBytes       LTX bytes uploaded ({@code ltx4j.sync.bytes})
 * @param syncedPages       pages uploaded ({@code ltx4j.sync.pages})
 * @param syncFailures      syncs that failed and will be retried next interval ({@code ltx4j.sync.failures})
 * @param conflicts         conflicts raised: another writer's file on this writer's base ({@code ltx4j.conflicts})
 * @param pendingCommits    committed transactions not yet in the replica ({@code ltx4j.pending.commits})
 * @param pendingBytes      page bytes of those transactions ({@code ltx4j.pending.bytes})
 * @param lagMillis         {@link DatabaseStatus#lagMillis()} ({@code ltx4j.replica.lag}), -1 while unknown
 * @param bufferBytes       size of the write buffer's log file ({@code ltx4j.buffer.bytes}), 0 in read mode
 * @param cacheHits         page reads served by the page cache ({@code ltx4j.cache.hits}); per replica lineage
 * @param cacheMisses       page reads the cache did not hold ({@code ltx4j.cache.misses}); per replica lineage
 * @param replicaRequests   requests to the replica backend keyed {@code kind/outcome}, each attempt counted
 *                          ({@code ltx4j.replica.requests}; see {@link EngineClientStack#requestsByKindAndOutcome()})
 * @param replicaRetries    requests repeated after a retryable failure ({@code ltx4j.retries}); 0 without retries
 * @param storeRequests     HTTP requests the backend sent, as the store bills them, keyed {@code kind/outcome}
 *                          ({@code ltx4j.store.requests}; {@link dev.ltx4j.replica.StoreRequests}): SDK retries,
 *                          listing pages, upload parts and the HEADs of a listing with metadata each count; per
 *                          backend client (the VFS shares one per replica URL); empty for {@code file://}
 */
public record EngineMetrics(long syncs, long syncMillis, long syncedBytes, long syncedPages, long syncFailures,
        long conflicts, long pendingCommits, long pendingBytes, long lagMillis, long bufferBytes, long cacheHits,
        long cacheMisses, Map<String, Long> replicaRequests, long replicaRetries, Map<String, Long> storeRequests) {

    public EngineMetrics {
        replicaRequests = Map.copyOf(replicaRequests);
        storeRequests = Map.copyOf(storeRequests);
    }

    /** HTTP requests of {@code kind} that ended in {@code outcome} (names as in {@link #storeRequests()}). */
    public long storeRequests(String kind, String outcome) {
        return storeRequests.getOrDefault(kind + "/" + outcome, 0L);
    }

    /** Requests of {@code kind} that ended in {@code outcome} (names as in {@link #replicaRequests()}). */
    public long replicaRequests(String kind, String outcome) {
        return replicaRequests.getOrDefault(kind + "/" + outcome, 0L);
    }
}
