package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cold open reads the files of its restore plan several at a time (docs/request-costs.md): on a replica of
 * thousands of uncompacted level-0 files the open otherwise waits for one round trip per file, one after another
 * (10,000 files on S3 at 20 ms: over three minutes). The first read here waits until a second one is in flight, which
 * only happens when reads overlap; the state opened is the same.
 */
class ParallelOpenLoadsTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    static final class Overlap extends ForwardingReplicaClient {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger most = new AtomicInteger();
        final CountDownLatch second = new CountDownLatch(1);
        volatile boolean gate;
        final java.util.concurrent.atomic.AtomicBoolean waited = new java.util.concurrent.atomic.AtomicBoolean();

        Overlap(InMemoryReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length) throws ReplicaException {
            int now = inFlight.incrementAndGet();
            most.accumulateAndGet(now, Math::max);
            try {
                if (gate) {
                    if (now >= 2) {
                        second.countDown();
                    } else if (waited.compareAndSet(false, true)) {
                        // Not a timing assertion: the bound only ends the wait when reads never overlap.
                        second.await(10, TimeUnit.SECONDS);
                    }
                }
                return delegate.openFile(level, min, max, offset, length);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }

    @Test
    void theOpenReadsItsPlanFilesSeveralAtATime() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient replica = new InMemoryReplicaClient();
        byte[] expected;
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 3)
                .compaction(CompactionSettings.off()).build())) {
            for (int i = 1; i <= 40; i++) {
                commitPages(w, PS, 1, i, 1 + i % 9, i);
                w.syncOnce(clock.instant());
                clock.advance(Duration.ofSeconds(1));
            }
            expected = readAll(w);
        }
        Overlap overlap = new Overlap(replica);
        overlap.gate = true;
        try (Database r = Database.open(overlap, "app.db", Kit.reader(clock).build())) {
            overlap.gate = false;
            assertThat(overlap.most.get()).as("plan files read at once").isGreaterThanOrEqualTo(2);
            assertThat(r.current().txid()).isEqualTo(40);
            assertThat(readAll(r)).isEqualTo(expected);
        }
    }
}
