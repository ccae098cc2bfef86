package dev.ltx4j.compaction;

import static dev.ltx4j.compaction.Clients.T0;
import static dev.ltx4j.compaction.Clients.level;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ltx4j compact} on a replica of Litestream-style level-0 files (no database checksums): the outputs of each
 * level are held and proven by their 16-byte trailer when the next level merges them, instead of being downloaded
 * again whole (docs/request-costs.md). The restored database is unchanged.
 */
class HeldOutputsTest {
    @TempDir
    Path tmp;

    @Test
    void eachLevelsOutputsAreProvenByTheirTrailerNotDownloadedAgain() throws Exception {
        InMemoryReplicaClient memory = new InMemoryReplicaClient();
        Model m = EdgeCaseTest.write(memory, 5, 3000);
        CountingReplicaClient counting = new CountingReplicaClient(memory, true);
        Compactor c = new Compactor(counting, CompactionSettings.defaults(), CompactionFaults.NONE);
        c.reuseUploads(new RecentUploads(64L << 20), false);
        Instant now = T0.plusSeconds(10_000);
        CompactionResult r;
        do {
            r = c.compactLevel(1, now);
        } while (r.more());
        List<LtxFileInfo> l1 = level(memory, 1);
        assertThat(l1).hasSize(3);
        long bytesBefore = counting.snapshot().bytesRead();
        long opensBefore = counting.snapshot().opens();
        assertThat(c.compactLevel(2, now).created()).isTrue();
        long l1Bytes = l1.stream().mapToLong(LtxFileInfo::size).sum();
        long read = counting.snapshot().bytesRead() - bytesBefore;
        System.out.printf("MEASURE L2 from %d held L1 outputs (%d bytes): %d GETs, %d bytes read%n", l1.size(), l1Bytes,
                counting.snapshot().opens() - opensBefore, read);
        assertThat(counting.snapshot().opens() - opensBefore).as("one trailer read per L1 file").isEqualTo(l1.size());
        assertThat(read).as("16 bytes per L1 file, not the files (%d bytes)", l1Bytes).isEqualTo(16L * l1.size());
        assertThat(c.compactLevel(3, now).created()).isTrue();
        assertThat(c.snapshot(now).created()).isTrue();

        List<LtxSource> sources = new ArrayList<>();
        for (LtxFileInfo f : new RestorePlanner(memory).plan(RestoreTarget.latest())) {
            sources.add(LtxSource.ofBytes(f.toString(), memory.readRange(f.level(), f.minTxid(), f.maxTxid(), 0, 0)));
        }
        Path out = tmp.resolve("restored.db");
        LtxRestorer.restore(sources, out);
        assertThat(Files.readAllBytes(out)).isEqualTo(m.databaseAt(m.txid()));
    }
}
