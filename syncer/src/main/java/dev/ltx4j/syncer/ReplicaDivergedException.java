package dev.ltx4j.syncer;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A read-mode follower found that the replica's history no longer contains the state it held (the replica was
 * replaced, restored to an earlier point or rewritten) and could not yet load the replica's new state, or the
 * replica changed under a read transaction that began before the follower switched to the new state. Reads are
 * refused rather than served from a mix of two histories; the next read transaction after a successful reload
 * sees the new state. Unchecked because read transactions begin without checked exceptions.
 */
public final class ReplicaDivergedException extends UncheckedIOException {
    public ReplicaDivergedException(String message) {
        super(message, new IOException(message));
    }
}
