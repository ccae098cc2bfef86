package dev.ltx4j.compaction;

import static dev.ltx4j.compaction.Clients.T0;
import static dev.ltx4j.compaction.Clients.level;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large level-0 backlog is compacted in capped outputs, one call each; listing the source level afresh on every
 * call made the LIST pages quadratic (100,000 files: ~4,900 pages). The continuing calls reuse the first listing.
 */
class BacklogListingTest {
    private static final int FILES = 5_000;
    /** Keys per LIST page on S3 (and S3Proxy, Azure: 5,000, so this is the conservative count). */
    private static final int PAGE = 1_000;

    @TempDir
    Path dir;

    /** Counts the LIST pages an S3 client would fetch for each listing of level 0. */
    static final class Pages extends ForwardingReplicaClient {
        long level0Pages;
        long level0Listings;

        Pages(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
            List<LtxFileInfo> files = delegate.listFiles(level, seek, meta);
            if (level == 0) {
                level0Listings++;
                level0Pages += Math.max(1, (files.size() + PAGE - 1) / PAGE);
            }
            return files;
        }
    }

    @Test
    void aBacklogIsCompactedWithOneListingOfTheSourceLevel() throws IOException {
        InMemoryReplicaClient memory = new InMemoryReplicaClient();
        Model m = EdgeCaseTest.write(memory, 3, FILES);
        Pages pages = new Pages(memory);
        CountingReplicaClient counting = new CountingReplicaClient(pages);
        Compactor c = new Compactor(counting, CompactionSettings.defaults(), CompactionFaults.NONE);

        int calls = 0;
        List<Long> maxes = new ArrayList<>();
        CompactionResult r;
        do {
            r = c.compactLevel(1, T0.plusSeconds(FILES + calls));
            calls++;
            assertThat(r.created()).isTrue();
            maxes.add(r.output().maxTxid());
        } while (r.more());

        int outputs = (FILES + Compactor.MAX_INPUTS - 1) / Compactor.MAX_INPUTS;
        assertThat(calls).isEqualTo(outputs);
        assertThat(maxes).containsExactly(1024L, 2048L, 3072L, 4096L, 5000L);
        assertThat(level(memory, 1)).extracting(LtxFileInfo::minTxid).containsExactly(1L, 1025L, 2049L, 3073L, 4097L);
        // Linear: level 0 listed once (FILES / PAGE pages), not once per call (sum over calls of the rest's pages).
        assertThat(pages.level0Listings).isEqualTo(1);
        assertThat(pages.level0Pages).isEqualTo(FILES / PAGE);
        // Besides that one listing, one small listing of the destination per call (its seek).
        assertThat(counting.snapshot().lists()).isEqualTo(calls + 1);
        assertThat(c.compactLevel(1, T0.plusSeconds(2 * FILES)).outcome())
                .isEqualTo(CompactionResult.Outcome.NOTHING_TO_DO);
        assertThat(RestorabilityCheck.contentProblems(memory, List.of(1024L, 1025L, 4097L, 5000L), m::databaseAt, dir))
                .isEmpty();
    }

    @Test
    void aRivalThatCompactedFurtherMakesTheNextCallListAfresh() throws IOException {
        InMemoryReplicaClient memory = new InMemoryReplicaClient();
        Model m = EdgeCaseTest.write(memory, 5, 3 * Compactor.MAX_INPUTS + 5);
        Pages pages = new Pages(memory);
        Compactor mine = new Compactor(pages, CompactionSettings.defaults(), CompactionFaults.NONE);
        Compactor rival = new Compactor(memory, CompactionSettings.defaults(), CompactionFaults.NONE);
        assertThat(mine.compactLevel(1, T0).more()).isTrue();
        assertThat(rival.compactLevel(1, T0).output().maxTxid()).isEqualTo(2L * Compactor.MAX_INPUTS);
        // New files after both listings: a fresh listing picks them up when the chain reaches them.
        for (int i = 0; i < 3; i++) {
            m.commit(memory, T0.plusSeconds(m.txid() + 1));
        }
        long before = pages.level0Listings;
        CompactionResult r = mine.compactLevel(1, T0.plusSeconds(1));
        assertThat(pages.level0Listings).isEqualTo(before + 1);
        assertThat(r.output().minTxid()).isEqualTo(2L * Compactor.MAX_INPUTS + 1);
        assertThat(r.output().maxTxid()).isEqualTo(3L * Compactor.MAX_INPUTS);
        CompactionResult last = mine.compactLevel(1, T0.plusSeconds(2));
        assertThat(last.more()).isFalse();
        assertThat(last.output().maxTxid()).isEqualTo(m.txid());
        assertThat(RestorabilityCheck.contentProblems(memory, List.of(1024L, 2049L, m.txid()), m::databaseAt, dir))
                .isEmpty();
    }
}
