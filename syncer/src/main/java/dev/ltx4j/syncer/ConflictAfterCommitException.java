package dev.ltx4j.syncer;

/**
 * A {@code remote}-durability commit is committed locally (visible to every connection of this process), and then
 * the sync that was to upload it found another writer's file (or a lost replica) at its base: it will not reach the
 * replica. It is in the file the conflict saved under {@code conflicts/} (I6), and a refresh drops it from the
 * database. Unlike a conflict refused before the commit (a plain {@link ConflictException}), the transaction did
 * happen locally, so an application must not treat it as "not committed, run it again" without a refresh
 * (docs/remote-durability-unknown-outcome.md).
 */
public final class ConflictAfterCommitException extends ConflictException {
    ConflictAfterCommitException(String message, ConflictInfo info, Throwable cause) {
        super(message, info, cause);
    }
}
