package dev.ltx4j.syncer;

import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.util.ArrayList;
import java.util.List;

/**
 * A replica client whose listings are a listing of every level made moments ago (a time-travel resolution's), so the
 * restore plan of the resolved TXID costs no second round of ten LIST requests. Reads and everything else go to the
 * store. The listing may be stale: a planned file deleted since fails its read as not found, and the caller then
 * plans again from fresh listings.
 */
final class HeldListing extends ForwardingReplicaClient {
    private final List<LtxFileInfo> files;

    /** @param files every level's files as listed (each level in listing order) */
    HeldListing(ReplicaClient delegate, List<LtxFileInfo> files) {
        super(delegate);
        this.files = List.copyOf(files);
    }

    @Override
    public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
        if (useMetadata) {
            return delegate.listFiles(level, seekTxid, true);
        }
        List<LtxFileInfo> out = new ArrayList<>();
        for (LtxFileInfo f : files) {
            if (f.level() == level && Long.compareUnsigned(f.minTxid(), seekTxid) >= 0) {
                out.add(f);
            }
        }
        return out;
    }
}
