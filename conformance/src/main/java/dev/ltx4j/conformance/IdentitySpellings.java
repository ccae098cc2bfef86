package dev.ltx4j.conformance;

import dev.ltx4j.replica.ReplicaClientProvider;
import dev.ltx4j.replica.ReplicaEnvironment;
import java.util.List;

/**
 * Input of the kit's {@code [identity.canonical]} clause (see
 * {@link ReplicaClientProvider#canonicalIdentity}): URLs of the backend, all naming the replica at one prefix.
 *
 * @param provider     the backend's provider
 * @param env          the environment the URLs are opened with
 * @param sameReplica  two or more spellings of one replica (trailing slash, dot segments, query order, an equivalent
 *                     endpoint, a symbolic link, ...); the first is the one files are written through
 * @param otherReplica URLs of other replicas that look alike (a sibling prefix, another endpoint or container)
 */
public record IdentitySpellings(ReplicaClientProvider provider, ReplicaEnvironment env, List<String> sameReplica,
        List<String> otherReplica) {
    public IdentitySpellings {
        sameReplica = List.copyOf(sameReplica);
        otherReplica = List.copyOf(otherReplica);
        if (sameReplica.size() < 2) throw new IllegalArgumentException("at least two spellings of one replica");
    }
}
