package dev.ltx4j.replica.azure;

import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClientProvider;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaUrl;

/** Serves {@code abs://} URLs; see {@link AzureUrlParser} for the grammar and {@link AzureReplicaClient} for behaviour. */
public final class AzureReplicaClientProvider implements ReplicaClientProvider {

    @Override
    public String scheme() {
        return "abs";
    }

    @Override
    public ReplicaClient open(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException {
        return AzureReplicaClient.open(url, env);
    }

    /** See {@link AzureUrlParser#canonicalIdentity}: no credential is built. */
    @Override
    public String canonicalIdentity(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaException {
        return AzureUrlParser.canonicalIdentity(url, env);
    }
}
