package dev.ltx4j.vfs.engine;

import dev.ltx4j.vfs.ReplicaConflictException;

/**
 * {@link EngineVfsDatabase#beginWrite()}'s refusal of a transaction another connection overtook
 * ({@code SQLITE_BUSY_SNAPSHOT}), without a stack trace: it is an expected answer, not a fault, and it is made while the
 * connection holds the write lock (about 0.2 times per commit with four writers), where filling a stack trace through
 * the JNI frames was most of its cost.
 */
final class StaleSnapshotException extends ReplicaConflictException {
    private static final long serialVersionUID = 1L;

    StaleSnapshotException() {
        super("another connection committed after this transaction began reading;"
                + " roll back and retry the transaction (the same as SQLITE_BUSY_SNAPSHOT in WAL mode)");
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
