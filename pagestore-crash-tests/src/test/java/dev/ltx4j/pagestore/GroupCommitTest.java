package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.NAME;
import static dev.ltx4j.pagestore.TestSupport.options;
import static dev.ltx4j.pagestore.TestSupport.page;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.testkit.ForceGatedStorage;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Committers that arrive while a force is running share the next force, and all of them end up durable. */
class GroupCommitTest {

    @Test
    void commitsQueuedBehindARunningForceShareOneForce() throws Exception {
        ForceGatedStorage storage = new ForceGatedStorage(new MemoryLogStorage());
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (WriteBuffer buffer = WriteBuffer.open(storage, NAME, options(512, Durability.LOCAL, 81))) {
            storage.arm();
            Future<Long> first = pool.submit(() -> commitOne(buffer, 1));
            assertThat(storage.inForce.await(30, TimeUnit.SECONDS)).isTrue();
            // While the first force is stuck, two more transactions append their commit records.
            Future<Long> second = pool.submit(() -> commitOne(buffer, 2));
            Future<Long> third = pool.submit(() -> commitOne(buffer, 3));
            while (buffer.lastCommittedSeq() < 3) {
                Thread.onSpinWait();
            }
            assertThat(first.isDone()).isFalse();
            storage.release.countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(second.get(30, TimeUnit.SECONDS) + third.get(30, TimeUnit.SECONDS)).isEqualTo(5);
            assertThat(storage.forces.get()).isEqualTo(2); // the first force, then one shared by the other two
        } finally {
            pool.shutdownNow();
        }
        storage.inner.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced());
        try (WriteBuffer reopened = WriteBuffer.open(storage.inner, NAME, options(512, Durability.LOCAL, 82))) {
            assertThat(reopened.transactions()).extracting(CommittedTransaction::seq).containsExactly(1L, 2L, 3L);
        }
    }

    private static long commitOne(WriteBuffer buffer, int pgno) throws IOException {
        try (WriteTransaction tx = buffer.begin()) {
            tx.writePage(pgno, page(512, pgno));
            return tx.commit(3);
        }
    }
}
