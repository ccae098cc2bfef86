package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cold read-mode open of an uncompacted replica of small level-0 files reads each file of the plan once, whole
 * (one GET instead of a header read and a tail read), and those bytes serve the verification of the files a query
 * reads, so the first scan makes no request at all (before: 2 GETs per file at open, then one verification download
 * per file read). The bytes are still verified: a damaged file is refused as before.
 */
class SmallFileOpenRequestsTest {
    static final int PS = 4096;
    static final int FILES = 20;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    private byte[] writeUncompacted() throws Exception {
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 3)
                .compaction(CompactionSettings.off()).build())) {
            for (int i = 1; i <= FILES; i++) {
                commitPages(w, PS, 1, i, 1 + i, i, 30 + i % 4, i);
                assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
                clock.advance(Duration.ofSeconds(1));
            }
            return readAll(w);
        }
    }

    @Test
    void aColdOpenReadsEachSmallFileOnceAndTheFirstScanMakesNoRequest() throws Exception {
        byte[] expected = writeUncompacted();
        List<LtxFileInfo> files = replica.listFiles(0, 0, false);
        assertThat(files).hasSize(FILES).allSatisfy(f -> assertThat(f.size()).isLessThanOrEqualTo(
                ReplicaIndex.WHOLE_FILE_READ));
        CountingReplicaClient counting = new CountingReplicaClient(replica, true);
        try (Database f = Database.open(counting, "app.db", Kit.reader(clock).build())) {
            CountingReplicaClient.Counts open = counting.snapshot();
            for (LtxFileInfo info : files) {
                assertThat(counting.opensOf(0, info.minTxid(), info.maxTxid())).as("GETs of %s at open", info)
                        .isEqualTo(1);
            }
            assertThat(open.opens()).as("one GET per file of the plan").isEqualTo(FILES);
            assertThat(readAll(f)).isEqualTo(expected);
            CountingReplicaClient.Counts scan = counting.snapshot();
            System.out.printf("MEASURE cold open of %d small L0 files: %d requests (%d LIST, %d GET); first scan %d"
                    + " requests (before: %d GETs at open, then one per file read)%n", FILES, open.requests(),
                    open.lists(), open.opens(), scan.requests() - open.requests(), 2 * FILES);
            assertThat(scan.requests() - open.requests()).as("verification served by the bytes read at open")
                    .isZero();
            assertThat(f.status().toJson()).contains("\"files_verified\":");
        }
    }

    @Test
    void bytesReadAtOpenAreStillVerified() throws Exception {
        writeUncompacted();
        LtxFileInfo last = replica.listFiles(0, FILES, false).get(0);
        byte[] data;
        try (InputStream in = replica.openFile(0, last.minTxid(), last.maxTxid(), 0, 0)) {
            data = in.readAllBytes();
        }
        // Damage a page frame's payload (not the header, index or trailer): only the whole-file check sees it.
        data[200] ^= 0x5a;
        replica.deleteFiles(List.of(last));
        replica.createFile(0, last.minTxid(), last.maxTxid(), LtxBody.of(data));
        try (Database f = Database.open(replica, "app.db", Kit.reader(clock).build())) {
            assertThatThrownBy(() -> readAll(f)).hasMessageContaining(last.toString());
            assertThat(f.status().toJson()).contains(last.toString());
        }
    }
}
