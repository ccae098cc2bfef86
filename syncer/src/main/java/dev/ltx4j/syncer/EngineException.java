package dev.ltx4j.syncer;

import java.io.IOException;

/** Base of the engine's typed failures, so the VFS can map each to a SQLite result code. */
public abstract sealed class EngineException extends IOException
        permits ConflictException, ReadOnlyDatabaseException, DatabaseNotFoundException, SyncFailedException, TimeTravelException,
                PageSizeException {
    protected EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
