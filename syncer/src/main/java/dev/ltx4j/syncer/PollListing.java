package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What a poll listed: the files seen and where each level's listing ended; {@code complete} when every level was
 * listed (a quick poll lists level 0 only).
 */
record PollListing(List<LtxFileInfo> files, long[] next, boolean complete) {
    /** The listed files that reach past {@code txid}. */
    List<LtxFileInfo> candidates(long txid) {
        List<LtxFileInfo> out = new ArrayList<>();
        for (LtxFileInfo f : files) {
            if (Long.compareUnsigned(f.maxTxid(), txid) > 0) {
                out.add(f);
            }
        }
        return out;
    }

    /** Every level listed from its position ({@code positions} null: from the start). */
    static PollListing list(ReplicaClient client, ReplicaIndex.ListingPositions positions) throws IOException {
        List<LtxFileInfo> files = new ArrayList<>();
        long[] next = new long[ReplicaClient.MAX_LEVEL + 1];
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            long seek = positions == null ? 0 : positions.seek(level);
            next[level] = seek;
            for (LtxFileInfo info : client.listFiles(level, seek, false)) {
                next[level] = info.minTxid();
                files.add(info);
            }
        }
        return new PollListing(files, next, true);
    }
}
