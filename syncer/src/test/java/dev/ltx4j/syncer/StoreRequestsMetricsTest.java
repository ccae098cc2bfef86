package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.StoreRequests;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: {@link Database#metrics()} reports the backend's HTTP requests as the store bills them, beside the per-call
 * counts: a backend whose listing costs a LIST page plus a HEAD per file shows that bill, not one "list" call.
 */
class StoreRequestsMetricsTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);

    /** A file replica billed like S3 with metadata listings: a LIST, plus a HEAD per file listed; a PUT per create. */
    static final class Billed extends ForwardingClient {
        final StoreRequests bill = new StoreRequests();

        Billed(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata) throws ReplicaException {
            List<LtxFileInfo> files = super.listFiles(level, seekTxid, useMetadata);
            bill.record(StoreRequests.LIST, 200);
            files.forEach(f -> bill.record(StoreRequests.HEAD, 200));
            return files;
        }

        @Override
        public LtxFileInfo createFile(int level, long minTxid, long maxTxid, LtxBody body) throws ReplicaException {
            bill.record(StoreRequests.PUT, 200);
            return super.createFile(level, minTxid, maxTxid, body);
        }

        @Override
        public Optional<StoreRequests> storeRequests() {
            return Optional.of(bill);
        }
    }

    Database open(ReplicaClient client) throws Exception {
        return Database.open(client, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("conflicts"), clock, 7)
                .build());
    }

    @Test
    void metricsCarryTheBackendsHttpRequestsThroughTheEngineStack() throws Exception {
        Billed backend = new Billed(new FileReplicaClient(tmp.resolve("replica"), clock));
        try (Database db = open(EngineClientStack.build(backend, 1))) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            EngineMetrics m = db.metrics();
            assertThat(m.storeRequests()).isEqualTo(backend.bill.byKindAndOutcome()).isNotEmpty();
            assertThat(m.storeRequests("put", "ok")).isEqualTo(m.replicaRequests("create", "ok")).isEqualTo(1);
            assertThat(m.storeRequests("list", "ok")).isEqualTo(backend.bill.count("list", "ok")).isPositive();
        }
    }

    @Test
    void aPlainClientsBillIsReportedAndADirectoryHasNone() throws Exception {
        Billed backend = new Billed(new FileReplicaClient(tmp.resolve("replica"), clock));
        try (Database db = open(backend)) {
            commitPages(db, PS, 1, 1);
            db.syncOnce(clock.instant());
            assertThat(db.metrics().storeRequests("put", "ok")).isEqualTo(1);
        }
        try (Database db = open(new FileReplicaClient(tmp.resolve("replica2"), clock))) {
            assertThat(db.metrics().storeRequests()).isEmpty();
        }
    }
}
