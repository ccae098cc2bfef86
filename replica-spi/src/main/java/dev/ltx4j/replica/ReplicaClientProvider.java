package dev.ltx4j.replica;

/**
 * Creates clients for one URL scheme. Backends register an implementation with {@link java.util.ServiceLoader}
 * ({@code provides dev.ltx4j.replica.ReplicaClientProvider with ...} in their module-info, plus
 * {@code META-INF/services} for the class path) and are then found by {@link ReplicaClients#open}.
 */
public interface ReplicaClientProvider {

    /** The URL scheme this provider serves, lower case, e.g. {@code file}, {@code s3}, {@code abs}. */
    String scheme();

    /**
     * Builds a client for a parsed URL. Credentials and other settings not in the URL come from {@code env}
     * (never from {@link System#getenv()} directly, so tests and embedders can inject them). Never logs secrets.
     *
     * @throws ReplicaPermanentException when the URL or configuration is invalid or credentials are missing;
     *     the message names the offending part
     */
    ReplicaClient open(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException;
}
