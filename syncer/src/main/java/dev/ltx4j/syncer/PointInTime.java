package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import java.time.Instant;
import java.util.Objects;

/**
 * A state of the replica's history that time travel resolved a time to: the TXID, the commit time its LTX files
 * carry (the header timestamp of the file that ends at it; a compacted file carries its newest input's) and the
 * lineage of the replica it was resolved in (a follower reload of a replaced replica starts a new one, and the time
 * must then be resolved again).
 *
 * @param target     the time asked for
 * @param txid       the newest restorable TXID whose commit time is at or before {@code target}
 * @param commitTime that TXID's commit time
 * @param lineage    {@link Database#lineage()} when it was resolved
 */
public record PointInTime(Instant target, long txid, Instant commitTime, long lineage) {
    public PointInTime {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(commitTime, "commitTime");
    }

    @Override
    public String toString() {
        return "TXID " + Txid.format(txid) + " committed at " + commitTime + " (for " + target + ")";
    }
}
