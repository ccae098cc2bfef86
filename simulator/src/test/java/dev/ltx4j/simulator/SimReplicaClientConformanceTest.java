package dev.ltx4j.simulator;

import dev.ltx4j.conformance.RawStore;
import dev.ltx4j.conformance.ReplicaClientConformanceTest;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.simulator.store.SimObjectStore;
import java.util.Optional;

/** With every fault off, the simulated store keeps the whole ReplicaClient contract. */
class SimReplicaClientConformanceTest extends ReplicaClientConformanceTest {
    private final SimObjectStore store = new SimObjectStore(new World(42, FaultPlan.none()));

    @Override
    protected ReplicaClient openClient(String prefix) {
        return store.client(prefix);
    }

    @Override
    protected Optional<RawStore> rawStore(String prefix) {
        return Optional.of(new RawStore() {
            @Override
            public void putInLevel(int level, String name, byte[] data) {
                store.putRaw(prefix + "/ltx/" + level + "/" + name, data);
            }

            @Override
            public void putAtRoot(String relativePath, byte[] data) {
                store.putRaw(prefix + "/" + relativePath, data);
            }
        });
    }
}
