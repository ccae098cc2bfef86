package dev.ltx4j.syncer;

/** A write was attempted on a database opened in read mode. */
public final class ReadOnlyDatabaseException extends EngineException {
    public ReadOnlyDatabaseException(String message) {
        super(message, null);
    }
}
