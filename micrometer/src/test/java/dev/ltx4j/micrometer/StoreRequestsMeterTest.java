package dev.ltx4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.StoreRequests;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15: {@code ltx4j.store.requests{kind,outcome}}, the store's bill, registered up front and following it. */
class StoreRequestsMeterTest {
    @TempDir
    Path tmp;

    Database writer(ReplicaClient client) throws Exception {
        return Database.open(client, "app.db", EngineOptions.builder()
                .writeEnabled(true)
                .bufferStorage(new MemoryLogStorage(), "db.buffer")
                .conflictDirectory(tmp.resolve("conflicts"))
                .closeTimeout(Duration.ofSeconds(5))
                .build());
    }

    @Test
    void storeRequestMetersFollowTheBackendsHttpCounts() throws Exception {
        StoreRequests bill = new StoreRequests();
        ForwardingReplicaClient billed = new ForwardingReplicaClient(new InMemoryReplicaClient()) {
            @Override
            public Optional<StoreRequests> storeRequests() {
                return Optional.of(bill);
            }
        };
        MeterRegistry registry = new SimpleMeterRegistry();
        try (Database db = writer(billed)) {
            LtxMetrics.bind(db, "app.db", registry);
            assertThat(registry.find("ltx4j.store.requests").meters())
                    .hasSize(StoreRequests.KINDS.size() * StoreRequests.OUTCOMES.size());
            bill.record(StoreRequests.LIST, 200);
            bill.record(StoreRequests.LIST, 503);
            bill.record(StoreRequests.PUT, 412);
            assertThat(count(registry, "list", "ok")).isEqualTo(1);
            assertThat(count(registry, "list", "throttled")).isEqualTo(1);
            assertThat(count(registry, "put", "precondition_failed")).isEqualTo(1);
            assertThat(count(registry, "head", "ok")).isZero();
        }
    }

    private static double count(MeterRegistry r, String kind, String outcome) {
        return r.get("ltx4j.store.requests").tag("database", "app.db").tag("kind", kind).tag("outcome", outcome)
                .functionCounter().count();
    }
}
