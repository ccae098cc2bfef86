package dev.ltx4j.cli;

import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.RetryingReplicaClient;

/** Opens replica clients for commands: with the same bounded retries as the VFS, so a flaky GET does not end a restore. */
final class Replicas {
    private Replicas() {}

    static ReplicaClient open(String url) throws ReplicaException {
        return retrying(ReplicaClients.open(url));
    }

    static ReplicaClient retrying(ReplicaClient client) {
        return RetryingReplicaClient.wrap(client, System.nanoTime());
    }
}
