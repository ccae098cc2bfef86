package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The direct memory limit hit inside an upload (the file replica's gathering write makes the JDK copy heap chunks into
 * temporary direct buffers) is a failed sync like any other: recorded as the last error naming the limit, not an
 * OutOfMemoryError escaping the round with no error recorded.
 */
class DirectMemorySyncTest {
    static final int PS = 4096;
    static final String LIMIT = "Cannot reserve 1048576 bytes of direct buffer memory (allocated: 0, limit: 1048576)";

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient raw = new InMemoryReplicaClient();
    String failWith;

    final ForwardingClient client = new ForwardingClient(raw) {
        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            if (failWith != null) {
                throw new OutOfMemoryError(failWith);
            }
            return super.createFile(level, min, max, body);
        }
    };

    @Test
    void theLimitHitInTheUploadIsRecordedAsTheSyncsFailure() throws Exception {
        try (Database db = Database.open(client, "app.db",
                Kit.writer(storage, tmp.resolve("conflicts"), clock, 7).build())) {
            commitPages(db, PS, 1, 1);
            failWith = LIMIT;
            SyncOutcome failed = db.syncOnce(clock.instant());
            assertThat(failed.status()).isEqualTo(SyncOutcome.Status.FAILED);
            assertThat(db.status().lastError()).contains("-XX:MaxDirectMemorySize").contains(LIMIT);
            assertThat(db.metrics().pendingCommits()).isEqualTo(1);

            failWith = null;
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(db.status().lastError()).isNull();
        }
    }
}
