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

    /**
     * The replica's canonical identity: the one name, within this process, of the store location a URL reaches.
     * Hosts key their engines by it, so every spelling of one replica (trailing slash, {@code ./} segments, query
     * order, a symbolic link, an endpoint written with or without its default scheme or port, ...) opens one engine,
     * and a single writer per replica and process is possible at all.
     *
     * <p>Contract, which {@code ReplicaClientConformanceTest}'s identity clause checks for a backend's spellings:
     * <ul>
     *   <li>two URLs whose clients read and write the same objects have equal identities (resolve what the URL
     *       leaves to the environment, e.g. a default endpoint, exactly as {@link #open} does);</li>
     *   <li>two URLs whose clients reach different objects have different identities;</li>
     *   <li>the identity holds no secret (no user info, no key, token or signature: it appears in messages and
     *       logs) and nothing that does not select objects (timeouts, part sizes, credentials, which region signs);</li>
     *   <li>it is deterministic for a given URL, environment and file system, needs no request to the store, and
     *       fails exactly when {@link #open} would fail for a malformed URL.</li>
     * </ul>
     * Start it with the scheme ({@code s3://bucket/path}) so it reads like a URL in messages.
     *
     * <p>The default, for backends written before this method existed, is {@link ReplicaUrl#genericIdentity()}: a
     * lexical normal form that merges only spellings that are the same for any backend (scheme case, dot segments
     * and a trailing slash of the path, query order) and drops user info and secret-looking query values.
     *
     * @throws ReplicaPermanentException when the URL is invalid; the message names the offending part
     */
    default String canonicalIdentity(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException {
        return url.genericIdentity();
    }
}
