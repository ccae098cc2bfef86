package dev.ltx4j.compaction;

import java.io.IOException;

/**
 * Compaction or retention found the replica in a state it must not act on: a file of the name it wanted to
 * create exists with a different header, a snapshot's restore plan does not start at TXID 1, the latest state is
 * not reachable (a gap) so retention refuses to delete. Storage failures are {@link dev.ltx4j.replica.ReplicaException}s
 * instead, and malformed input files {@link dev.ltx4j.ltx.LtxFormatException}s.
 */
public final class CompactionException extends IOException {
    private static final long serialVersionUID = 1L;

    public CompactionException(String message) {
        super(message);
    }

    public CompactionException(String message, Throwable cause) {
        super(message, cause);
    }
}
