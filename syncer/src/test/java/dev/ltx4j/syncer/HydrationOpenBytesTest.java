package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.replica.HydrationStatus;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hydrating reader's cold open reads each small file of the plan whole; hydration then writes those files' pages
 * from the bytes already read instead of downloading every file a second time (docs/request-costs.md). Before: two
 * GETs per file (one at open, one by the hydrator). The file is still decoded strictly (file checksum) and the
 * hydrated database equals a restore.
 */
class HydrationOpenBytesTest {
    static final int PS = 4096;
    static final int FILES = 30;

    @TempDir
    Path tmp;

    @Test
    void hydrationUsesTheSmallFilesTheOpenReadWhole() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient replica = new InMemoryReplicaClient();
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 3)
                .compaction(CompactionSettings.off()).build())) {
            for (int i = 1; i <= FILES; i++) {
                commitPages(w, PS, 1, i, 1 + i, i, 40 + i % 7, i);
                assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
                clock.advance(Duration.ofSeconds(1));
            }
        }
        List<LtxFileInfo> files = replica.listFiles(0, 0, false);
        CountingReplicaClient counting = new CountingReplicaClient(replica, true);
        Path hydrated = tmp.resolve("h").resolve("app.hydrated");
        try (Database r = Database.open(counting, "app.db", Kit.reader(clock).cacheBytes(0)
                .hydration(HydrationOptions.hydrated(hydrated)).build())) {
            HydrationStatus s = r.hydrateOnce(clock.instant());
            assertThat(s.state()).isEqualTo("ready");
            for (LtxFileInfo f : files) {
                assertThat(counting.opensOf(0, f.minTxid(), f.maxTxid())).as("GETs of %s", f).isEqualTo(1);
            }
            assertThat(counting.snapshot().opens()).isEqualTo(FILES);
            assertThat(Files.readAllBytes(hydrated)).isEqualTo(Kit.restore(replica, 0, tmp));
            long before = counting.snapshot().requests();
            assertThat(Kit.readAll(r)).isEqualTo(Kit.restore(replica, 0, tmp));
            assertThat(counting.snapshot().requests()).isEqualTo(before);
        }
    }
}
