package dev.ltx4j.replica;

import dev.ltx4j.ltx.Txid;

/**
 * The replica's files cannot rebuild the requested state. Not a storage failure (those are {@link ReplicaException}s):
 * the listing worked, but the files it shows are insufficient.
 */
public abstract sealed class RestorePlanException extends Exception
        permits RestorePlanException.TransactionNotAvailable, RestorePlanException.NonContiguous {

    protected RestorePlanException(String message) {
        super(message);
    }

    /**
     * No chain of files reaches the target: the replica is empty, holds nothing old enough for the timestamp, or its
     * files end before the target TXID. Message: {@code transaction not available ...}.
     */
    public static final class TransactionNotAvailable extends RestorePlanException {
        private final long reachedTxid;
        private final boolean replicaEmpty;

        public TransactionNotAvailable(String detail, long reachedTxid, boolean replicaEmpty) {
            super("transaction not available: " + detail);
            this.reachedTxid = reachedTxid;
            this.replicaEmpty = replicaEmpty;
        }

        /** Highest TXID the best chain reached, 0 when no file qualified. */
        public long reachedTxid() {
            return reachedTxid;
        }

        /** True when no level held any file at all. */
        public boolean replicaEmpty() {
            return replicaEmpty;
        }
    }

    /**
     * A "latest" restore found files beyond a gap: some level's next file starts after the TXID the chain reached
     * plus one, so restoring what is contiguous would silently drop later transactions.
     */
    public static final class NonContiguous extends RestorePlanException {
        private final long reachedTxid;
        private final int level;
        private final long nextMinTxid;

        public NonContiguous(long reachedTxid, int level, long nextMinTxid) {
            super("non-contiguous ltx files: have up to " + Txid.format(reachedTxid)
                    + " but next file starts at " + Txid.format(nextMinTxid) + " (level " + level + ")");
            this.reachedTxid = reachedTxid;
            this.level = level;
            this.nextMinTxid = nextMinTxid;
        }

        public long reachedTxid() {
            return reachedTxid;
        }

        /** The level whose next file starts beyond the gap. */
        public int level() {
            return level;
        }

        public long nextMinTxid() {
            return nextMinTxid;
        }
    }
}
