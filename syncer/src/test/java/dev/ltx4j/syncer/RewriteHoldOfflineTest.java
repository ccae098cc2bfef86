package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The full-disk hold (docs/write-buffer-full-disk.md) after a sync's upload landed but its buffer trim ran out of
 * space: once space is freed the next sync round retries the trim (a local rewrite) before it lists the replica, so
 * an unreachable replica no longer keeps every write transaction at SQLITE_FULL.
 */
class RewriteHoldOfflineTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    @Test
    void freedSpaceReleasesTheHoldWhileTheReplicaIsUnreachable() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient.Bucket bucket = new InMemoryReplicaClient.Bucket();
        InMemoryReplicaClient replica = bucket.client("");
        MemoryLogStorage storage = new MemoryLogStorage();
        try (Database w = Database.open(replica, "app.db", Kit.writer(storage, tmp.resolve("c"), clock, 3).build())) {
            commitPages(w, PS, 1, 1);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(w, PS, 2, 2);
            storage.setFullDisk((file, length) -> file.endsWith(".next") ? 0 : -1);
            assertThat(w.syncOnce(clock.instant()).status()).as("upload landed, trim short of space")
                    .isEqualTo(SyncOutcome.Status.FAILED);
            assertThatThrownBy(() -> commitPages(w, PS, 3, 3)).hasMessageContaining("holds new transactions back");

            bucket.setReachable(false);
            storage.setFullDisk((file, length) -> -1); // the operator frees space; the network is still down
            w.syncOnce(clock.instant());
            // Before: the round failed listing the replica and the hold stayed: SQLITE_FULL until it was back.
            commitPages(w, PS, 3, 3);

            bucket.setReachable(true);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(replica.listFiles(0, 0, false)).hasSize(3);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(w));
        }
    }
}
