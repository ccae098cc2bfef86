package dev.ltx4j.compaction.internal;

import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.util.List;

/** Records the size of every full listing, for the status's files per level. */
public final class ObservedClient extends ForwardingReplicaClient {
    private final StatusTracker tracker;

    public ObservedClient(ReplicaClient delegate, StatusTracker tracker) {
        super(delegate);
        this.tracker = tracker;
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        List<LtxFileInfo> files = delegate.listFiles(level, seekTxid, useMetadata);
        if (seekTxid == 0) {
            tracker.listed(level, files.size());
        }
        return files;
    }

    @Override
    public void close() {
        // The compactor does not own the client.
    }
}
