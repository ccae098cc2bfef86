package dev.ltx4j.replica;

import dev.ltx4j.ltx.Txid;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What state a restore rebuilds: the latest, the state right after a TXID, or the last state whose files were
 * created strictly before a timestamp. Exactly one kind; TXID and timestamp together are not representable.
 */
public final class RestoreTarget {
    private final long txid;
    private final Instant before;

    private RestoreTarget(long txid, Instant before) {
        this.txid = txid;
        this.before = before;
    }

    /** The newest state the replica holds. */
    public static RestoreTarget latest() {
        return new RestoreTarget(0, null);
    }

    /** The state right after {@code txid} (must not be 0). */
    public static RestoreTarget txid(long txid) {
        if (txid == 0) {
            throw new IllegalArgumentException("restore target TXID must not be 0; use latest()");
        }
        return new RestoreTarget(txid, null);
    }

    /** The newest state built only from files whose createdAt is strictly before {@code timestamp}. */
    public static RestoreTarget before(Instant timestamp) {
        return new RestoreTarget(0, Objects.requireNonNull(timestamp, "timestamp"));
    }

    /** The target TXID, 0 when not restoring to a TXID. */
    public long txid() {
        return txid;
    }

    public Optional<Instant> timestamp() {
        return Optional.ofNullable(before);
    }

    public boolean isLatest() {
        return txid == 0 && before == null;
    }

    @Override
    public String toString() {
        if (txid != 0) {
            return "txid " + Txid.format(txid);
        }
        return before != null ? "before " + before : "latest";
    }
}
