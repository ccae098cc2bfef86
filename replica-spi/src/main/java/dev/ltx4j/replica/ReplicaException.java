package dev.ltx4j.replica;

import java.io.IOException;

/**
 * A replica operation failed. Every backend error is one of the subclasses, so callers decide by type, never by
 * message: {@link ReplicaNotFoundException}, {@link ReplicaAlreadyExistsException},
 * {@link ReplicaOutcomeUnknownException}, {@link ReplicaTransientException}, {@link ReplicaPermanentException}.
 */
public abstract sealed class ReplicaException extends IOException
        permits ReplicaNotFoundException, ReplicaAlreadyExistsException, ReplicaOutcomeUnknownException,
                ReplicaTransientException, ReplicaPermanentException {

    protected ReplicaException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether repeating the same call may succeed. */
    public boolean isRetryable() {
        return false;
    }
}
