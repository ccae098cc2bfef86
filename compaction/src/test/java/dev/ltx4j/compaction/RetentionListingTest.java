package dev.ltx4j.compaction;

import static dev.ltx4j.compaction.Clients.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention of a large backlog lists each level's backlog once. The check before delete batches that kept files are
 * still there (against a second deleter) relisted every level in full before about every tenth batch: a 100,000-file
 * backlog took 140 listings and 989 s on S3Proxy (ReplicaLifetimeBenchmark). It now lists only the part of each
 * level holding kept files.
 */
class RetentionListingTest {
    private static final int FILES = 3_000;
    private static final int BATCH = 50;

    @TempDir
    Path dir;

    /** Counts listings and the entries they return, per level. */
    static final class Listings extends ForwardingReplicaClient {
        final long[] calls = new long[ReplicaClient.MAX_LEVEL + 1];
        final long[] entries = new long[ReplicaClient.MAX_LEVEL + 1];

        Listings(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
            List<LtxFileInfo> files = delegate.listFiles(level, seek, meta);
            calls[level]++;
            entries[level] += files.size();
            return files;
        }
    }

    @Test
    void retentionOfABacklogListsEachLevelsBacklogOnce() throws IOException {
        InMemoryReplicaClient memory = new InMemoryReplicaClient();
        Model m = EdgeCaseTest.write(memory, 3, FILES);
        Compactor compactor = new Compactor(memory, CompactionSettings.defaults(), CompactionFaults.NONE);
        Instant done = T0.plusSeconds(FILES + 1);
        for (int level = 1; level <= 3; level++) {
            CompactionResult r;
            do {
                r = compactor.compactLevel(level, done);
            } while (r.more() && r.output() != null);
        }
        assertThat(compactor.snapshot(done).output()).isNotNull();

        Listings listings = new Listings(memory);
        Compactor c = new Compactor(listings, CompactionSettings.defaults(), CompactionFaults.NONE);
        c.setDeleteBatchSize(BATCH);
        // A day and a grace period later: the whole history is outside the window.
        Instant later = done.plus(Duration.ofHours(24)).plus(Duration.ofMinutes(16));
        RetentionResult r = c.retain(later, true);

        int batches = (int) ((r.filesDeleted() + BATCH - 1) / BATCH);
        assertThat(r.filesDeleted()).isGreaterThan(FILES);
        assertThat(batches).isGreaterThan(50);
        // The plan's listing of the L0 backlog, then the kept-file checks, each seeing only the kept part (the newest
        // L0 file): the old code returned the whole remaining backlog to each of ~10 checks.
        assertThat(listings.entries[0]).isLessThanOrEqualTo(FILES + 20);
        // The checks still run, before the first batches and every tenth.
        assertThat(listings.calls[0]).isGreaterThan(2);
        // What remains restores every promised point and the latest state.
        assertThat(RestorabilityCheck.contentProblems(memory, List.of(m.txid()), m::databaseAt, dir)).isEmpty();
        assertThat(RetentionPlan.listAll(memory).get(0)).hasSize(1);
    }
}
