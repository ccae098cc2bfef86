package dev.ltx4j.syncer;

/**
 * Another writer moved the replica past the TXID this writer built on. Sticky until {@link Database#refresh()}.
 * The message contains {@code conflict} and both TXIDs.
 */
public final class ConflictException extends EngineException {
    private final ConflictInfo info;

    public ConflictException(ConflictInfo info) {
        super(info.message(), null);
        this.info = info;
    }

    public ConflictInfo info() {
        return info;
    }
}
