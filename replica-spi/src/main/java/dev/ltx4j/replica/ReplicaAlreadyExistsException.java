package dev.ltx4j.replica;

/** A create-if-absent write found the file already there: another writer won the name. Nothing was written by this call. */
public final class ReplicaAlreadyExistsException extends ReplicaException {
    public ReplicaAlreadyExistsException(String message) {
        super(message, null);
    }

    public ReplicaAlreadyExistsException(String message, Throwable cause) {
        super(message, cause);
    }
}
