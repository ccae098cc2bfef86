package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.page;
import static dev.ltx4j.syncer.Kit.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.ForceGatedStorage;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit's next version is built between its record's write and its fsync (docs/durable-commit-cost.md, session
 * 8), but nothing shows it before the fsync returned: a reader that saw it could lose it to a power cut.
 */
class CommitVisibilityTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    @Test
    void aCommitIsInvisibleToReadersWhileItsForceRunsAndVisibleAfter() throws Exception {
        ForceGatedStorage storage = new ForceGatedStorage(new MemoryLogStorage());
        ExecutorService committer = Executors.newSingleThreadExecutor();
        try (Database db = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("conflicts"), clock, 42).bufferStorage(storage, "db.buffer").build())) {
            long first = commitPages(db, PS, 1, 1, 2, 2);
            byte[] before = readAll(db);
            storage.arm();
            Future<Long> second = committer.submit(() -> commitPages(db, PS, 2, 9, 3, 3));
            long seenSeq;
            long seenCommit;
            byte[] seen;
            try {
                assertThat(storage.inForce.await(10, TimeUnit.SECONDS)).as("the commit reached its force").isTrue();
                seenSeq = db.current().localSeq();
                seenCommit = db.current().commit();
                seen = readAll(db);
            } finally {
                storage.release.countDown(); // before the database closes: close waits for the open commit
            }
            assertThat(seenSeq).as("published while not durable").isEqualTo(first);
            assertThat(seenCommit).isEqualTo(2);
            assertThat(seen).as("a new reader sees the durable state only").isEqualTo(before);

            long seq = second.get(10, TimeUnit.SECONDS);
            assertThat(seq).isEqualTo(first + 1);
            assertThat(db.current().localSeq()).isEqualTo(seq);
            byte[] after = readAll(db);
            assertThat(after).hasSize(3 * PS);
            assertThat(java.util.Arrays.copyOfRange(after, PS, 2 * PS)).isEqualTo(page(PS, 9));
            assertThat(java.util.Arrays.copyOfRange(after, 2 * PS, 3 * PS)).isEqualTo(page(PS, 3));
        } finally {
            storage.release.countDown();
            committer.shutdownNow();
        }
    }
}
