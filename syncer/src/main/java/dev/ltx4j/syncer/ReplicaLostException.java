package dev.ltx4j.syncer;

/**
 * The replica lost the TXID this writer built on (deleted or emptied under the running writer): the sync refused
 * to upload onto it, since nothing could restore the result, and the database is conflicted (sticky until
 * {@link Database#refresh()}, the held transactions saved under {@code conflicts/}). A {@link ConflictException},
 * so code handling conflicts handles this too; the message names the replica and what its listing showed.
 */
public final class ReplicaLostException extends ConflictException {
    ReplicaLostException(String message, ConflictInfo info) {
        super(message, info);
    }
}
