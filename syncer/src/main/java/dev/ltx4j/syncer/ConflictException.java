package dev.ltx4j.syncer;

/**
 * Another writer moved the replica past the TXID this writer built on. Sticky until {@link Database#refresh()}.
 * The message contains {@code conflict} and both TXIDs.
 */
public sealed class ConflictException extends EngineException permits ReplicaLostException,
        ConflictAfterCommitException {
    private final ConflictInfo info;

    public ConflictException(ConflictInfo info) {
        this(info.message(), info);
    }

    ConflictException(String message, ConflictInfo info) {
        this(message, info, null);
    }

    ConflictException(String message, ConflictInfo info, Throwable cause) {
        super(message, cause);
        this.info = info;
    }

    public ConflictInfo info() {
        return info;
    }
}
