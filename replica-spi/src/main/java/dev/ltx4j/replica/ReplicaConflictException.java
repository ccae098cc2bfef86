package dev.ltx4j.replica;

/** Another writer advanced the replica past the state this writer built on, or fenced it out. Pending work must not be written on top. */
public final class ReplicaConflictException extends ReplicaException {
    public ReplicaConflictException(String message) {
        super(message, null);
    }

    public ReplicaConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
