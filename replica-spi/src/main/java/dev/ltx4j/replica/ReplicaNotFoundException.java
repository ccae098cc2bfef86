package dev.ltx4j.replica;

/** The named file does not exist (or vanished while it was read). */
public final class ReplicaNotFoundException extends ReplicaException {
    public ReplicaNotFoundException(String message) {
        super(message, null);
    }

    public ReplicaNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
