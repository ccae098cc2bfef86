package dev.ltx4j.cli;

import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.syncer.EngineClientStack;

/**
 * Opens replica clients for commands through the engine's client stack, with the same bounded retries as the VFS, so
 * a flaky GET does not end a restore. An ambiguous create is passed on, not resolved: the command that creates
 * (import) resolves it.
 */
final class Replicas {
    private Replicas() {}

    static ReplicaClient open(String url) throws ReplicaException {
        return retrying(ReplicaClients.open(url));
    }

    static ReplicaClient retrying(ReplicaClient client) {
        return EngineClientStack.build(client, System.nanoTime());
    }
}
