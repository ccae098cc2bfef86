package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.BufferFailedException;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read transaction pinned before the write buffer stopped keeps reading its own pages after refresh reopened the
 * buffer ({@code WriteSide.reopenFailedBuffer}) and later syncs rewrote the log, although the reopened buffer cannot
 * see that reader: log rewrites write into the previous log file (docs/sync-cost.md), but never into the file a
 * buffer opened with. The memory storage reuses files as the file storage does.
 */
class ReopenedBufferPinnedReaderTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient raw = new InMemoryReplicaClient();

    @Test
    void aReaderPinnedBeforeTheReopenKeepsItsPagesThroughTheReopenedBuffersRewrites() throws Exception {
        try (Database db = Database.open(raw, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7)
                .clock(Kit.advancing(clock)).build())) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 20, 3, 30, 4, 40); // unsynced: the pinned version reads them from the log file
            try (ReadTransaction pinned = db.beginRead()) {
                storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.WRITE);
                assertThatThrownBy(() -> commitPages(db, PS, 5, 50)).isInstanceOf(BufferFailedException.class);
                storage.setFaults((op, name) -> false);
                db.refresh(); // saves the unsynced commit aside, reopens the stopped buffer, starts it over
                for (int s = 1; s <= 4; s++) {
                    // The same pages again, so a log written into the pinned file would hold them at its offsets.
                    commitPages(db, PS, 2, 60 + s, 3, 70 + s, 4, 80 + s);
                    db.syncOnce(clock.instant());
                    commitPages(db, PS, 2, 90 + s, 3, 100 + s, 4, 110 + s);
                }
                assertThat(pinned.readPage(PS, PS)).as("page 2").isEqualTo(Kit.page(PS, 20));
                assertThat(pinned.readPage(2L * PS, PS)).as("page 3").isEqualTo(Kit.page(PS, 30));
                assertThat(pinned.readPage(3L * PS, PS)).as("page 4").isEqualTo(Kit.page(PS, 40));
            }
        }
    }
}
