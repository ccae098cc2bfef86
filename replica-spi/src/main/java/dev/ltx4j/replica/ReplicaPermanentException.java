package dev.ltx4j.replica;

/** A failure that retrying will not fix: bad credentials, access denied, a missing bucket, bad configuration. */
public final class ReplicaPermanentException extends ReplicaException {
    public ReplicaPermanentException(String message) {
        super(message, null);
    }

    public ReplicaPermanentException(String message, Throwable cause) {
        super(message, cause);
    }
}
