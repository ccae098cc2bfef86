package dev.ltx4j.syncer;

/** A write does not fit the database's page size (a page-size change, a partial page across pages). */
public final class PageSizeException extends EngineException {
    public PageSizeException(String message) {
        super(message, null);
    }
}
