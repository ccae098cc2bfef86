package dev.ltx4j.replica;

/** A failure that retrying will not fix: bad credentials, access denied, a missing bucket, bad configuration. */
public final class ReplicaPermanentException extends ReplicaException {
    private final boolean credentialsMayRenew;

    public ReplicaPermanentException(String message) {
        this(message, null, false);
    }

    public ReplicaPermanentException(String message, Throwable cause) {
        this(message, cause, false);
    }

    private ReplicaPermanentException(String message, Throwable cause, boolean credentialsMayRenew) {
        super(message, cause);
        this.credentialsMayRenew = credentialsMayRenew;
    }

    /**
     * Nothing of the store refused the request: the credentials could not be had (a credential source such as an
     * instance-metadata, container or token endpoint was unavailable) or the store said the session token expired.
     * Retrying at once gets the same answer, so it is permanent like any other; but the source may renew them later
     * (the endpoint comes back, the provider fetches a new token), so a caller that retries for a bounded time anyway
     * (the engine's final sync at close) keeps retrying it, where it stops at once for the store's own refusals
     * (access denied, a missing bucket or container, a feature the store lacks). Backends that predate this flag
     * report such failures with the plain constructors: then the close stops at once, as it did before.
     */
    public static ReplicaPermanentException credentialsMayRenew(String message, Throwable cause) {
        return new ReplicaPermanentException(message, cause, true);
    }

    /** Whether this is {@link #credentialsMayRenew(String, Throwable) a credential failure that may heal}. */
    public boolean credentialsMayRenew() {
        return credentialsMayRenew;
    }
}
