package dev.ltx4j.syncer;

/** Read mode found no database in the replica (it holds no files). */
public final class DatabaseNotFoundException extends EngineException {
    public DatabaseNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
