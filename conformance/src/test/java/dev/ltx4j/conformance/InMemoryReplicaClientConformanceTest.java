package dev.ltx4j.conformance;

import dev.ltx4j.replica.ReplicaClient;
import java.util.Optional;

/** The kit against the in-memory reference client, with all clauses enabled. */
class InMemoryReplicaClientConformanceTest extends ReplicaClientConformanceTest {
    private final InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();

    @Override
    protected ReplicaClient openClient(String prefix) {
        return bucket.client(prefix);
    }

    @Override
    protected Optional<ReplicaClient> openUnreachableClient(String prefix) {
        InMemoryReplicaClient.Bucket offline = new InMemoryReplicaClient.Bucket();
        offline.setReachable(false);
        return Optional.of(offline.client(prefix));
    }

    @Override
    protected Optional<RawStore> rawStore(String prefix) {
        return Optional.of(new RawStore() {
            @Override
            public void putInLevel(int level, String name, byte[] data) {
                bucket.putRaw(prefix + "/ltx/" + level + "/" + name, data);
            }

            @Override
            public void putAtRoot(String relativePath, byte[] data) {
                bucket.putRaw(prefix + "/" + relativePath, data);
            }
        });
    }
}
