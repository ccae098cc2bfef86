package dev.ltx4j.compaction.internal;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.util.ArrayList;
import java.util.List;

/**
 * The rest of a source level's listing after a capped compaction, kept for the call that continues the chain, so a
 * backlog of n files costs one listing of the source level, not one per {@code MAX_INPUTS} outputs (quadratic in LIST
 * pages). Valid because files are immutable and the continuing call is recognised by its seek: exactly one past the
 * capped output's max, read from a fresh listing of the destination (a rival that compacted further moves the seek,
 * and the listing is dropped). A file created after the listing is simply picked up by the next fresh listing, as it
 * would be had it been created a moment after a fresh one. Not thread-safe, like its {@code Compactor}.
 */
public final class CarriedListings {
    private final long[] nextSeek = new long[ReplicaClient.MAX_LEVEL + 1];
    private final List<List<LtxFileInfo>> files = new ArrayList<>();

    public CarriedListings() {
        for (int level = 0; level <= ReplicaClient.MAX_LEVEL; level++) {
            files.add(null);
        }
    }

    /**
     * The kept listing of level {@code level - 1} when {@code seek} continues the previous capped compaction into
     * {@code level}, else null (then list afresh). Either way the kept listing is consumed: a failing call relists.
     */
    public List<LtxFileInfo> take(int level, long seek) {
        List<LtxFileInfo> kept = files.set(level, null);
        return kept != null && seek == nextSeek[level] ? kept : null;
    }

    /**
     * After a successful compaction into {@code level} from {@code source}: keeps what the next call can still use
     * when the chain was capped (every file reaching past the output, which includes the chain's next input).
     */
    public void keep(int level, List<LtxFileInfo> source, Chain chain) {
        files.set(level, null);
        if (!chain.more() || chain.inputs().isEmpty()) {
            return;
        }
        long seek = chain.inputs().get(chain.inputs().size() - 1).maxTxid() + 1;
        List<LtxFileInfo> rest = new ArrayList<>();
        for (LtxFileInfo f : source) {
            if (Txid.compare(f.maxTxid(), seek) >= 0) {
                rest.add(f);
            }
        }
        nextSeek[level] = seek;
        files.set(level, rest);
    }

    /** Forgets every kept listing (retention may have deleted files in them). */
    public void clear() {
        for (int level = 0; level < files.size(); level++) {
            files.set(level, null);
        }
    }
}
