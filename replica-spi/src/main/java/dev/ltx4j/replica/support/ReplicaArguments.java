package dev.ltx4j.replica.support;

import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaPermanentException;

/**
 * The argument checks every backend makes before it touches storage, so that all of them reject bad input alike:
 * with {@link ReplicaPermanentException} (retrying cannot help), never with an unchecked exception, which the
 * {@link ReplicaClient} contract reserves for bugs.
 */
public final class ReplicaArguments {
    private ReplicaArguments() {
    }

    /** Rejects a level outside {@link ReplicaClient#MIN_LEVEL}..{@link ReplicaClient#MAX_LEVEL}. */
    public static void checkLevel(String backend, int level) throws ReplicaPermanentException {
        if (level < ReplicaClient.MIN_LEVEL || level > ReplicaClient.MAX_LEVEL) {
            throw new ReplicaPermanentException(backend + ": level " + level + " out of range "
                    + ReplicaClient.MIN_LEVEL + ".." + ReplicaClient.MAX_LEVEL);
        }
    }

    /** Rejects a bad level, or a negative offset or length, of a ranged read. */
    public static void checkRead(String backend, int level, long minTxid, long maxTxid, long offset, long length)
            throws ReplicaPermanentException {
        checkLevel(backend, level);
        if (offset < 0 || length < 0) {
            throw new ReplicaPermanentException(backend + ": invalid range offset=" + offset + " length=" + length
                    + " for L" + level + "/" + new TxidRange(minTxid, maxTxid).filename());
        }
    }
}
