package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.LtxBody;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spools of one sync engine share a bounded pool of chunks: a closed spool's chunks carry the next spool's bytes,
 * which replay exactly, the pool never holds more than its bound, and a body opened after its spool closed (whose
 * chunks may already hold another upload) fails instead of replaying someone else's bytes.
 */
class SpoolChunkReuseTest {
    @TempDir
    Path dir;

    private static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] replay(LtxBody body) throws Exception {
        try (InputStream in = body.open()) {
            return in.readAllBytes();
        }
    }

    @Test
    void aClosedSpoolsChunksCarryTheNextSpoolsBytes() throws Exception {
        Spool.Chunks pool = new Spool.Chunks(4);
        byte[] first = bytes(600_000, 1); // three chunks
        try (Spool spool = new Spool(dir, 16 << 20, pool)) {
            spool.write(first, 0, first.length);
            assertThat(replay(spool.body())).isEqualTo(first);
        }
        assertThat(pool.retained()).isEqualTo(3);
        byte[] second = bytes(300_000, 2); // shorter: the reused chunks' old tails must not show
        try (Spool spool = new Spool(dir, 16 << 20, pool)) {
            spool.write(second, 0, second.length);
            assertThat(pool.retained()).isEqualTo(1);
            assertThat(replay(spool.body())).isEqualTo(second);
        }
        assertThat(pool.retained()).isEqualTo(3);
    }

    @Test
    void thePoolKeepsNoMoreThanItsBound() throws Exception {
        Spool.Chunks pool = new Spool.Chunks(2);
        byte[] data = bytes(1_200_000, 3); // five chunks
        try (Spool spool = new Spool(dir, 16 << 20, pool)) {
            spool.write(data, 0, data.length);
        }
        assertThat(pool.retained()).isEqualTo(2);
    }

    @Test
    void aSpilledSpoolGivesItsChunksBackToo() throws Exception {
        Spool.Chunks pool = new Spool.Chunks(8);
        byte[] data = bytes(700_000, 4);
        try (Spool spool = new Spool(dir, 400_000, pool)) {
            spool.write(data, 0, 300_000);
            spool.write(data, 300_000, 400_000); // crosses the memory bound: spilled to a file
            assertThat(spool.spilled()).isTrue();
            assertThat(replay(spool.body())).isEqualTo(data);
        }
        assertThat(pool.retained()).isEqualTo(2);
    }

    @Test
    void aBodyOpenedAfterItsSpoolClosedFails() throws Exception {
        Spool.Chunks pool = new Spool.Chunks(4);
        LtxBody stale;
        try (Spool spool = new Spool(dir, 16 << 20, pool)) {
            byte[] data = bytes(1000, 5);
            spool.write(data, 0, data.length);
            stale = spool.body();
        }
        try (Spool next = new Spool(dir, 16 << 20, pool)) {
            byte[] other = bytes(1000, 6);
            next.write(other, 0, other.length);
            assertThatThrownBy(stale::open).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("after its spool closed");
        }
    }

    @Test
    void chunksBeyondTheDirectBoundAreHeapChunks() throws Exception {
        Spool.Chunks pool = new Spool.Chunks(2);
        byte[] data = bytes(700_000, 7); // three chunks
        try (Spool spool = new Spool(dir, 16 << 20, pool)) {
            spool.write(data, 0, data.length);
            assertThat(replay(spool.body())).isEqualTo(data);
        }
        assertThat(pool.retained()).isEqualTo(2);
        java.util.List<java.nio.ByteBuffer> taken = java.util.List.of(pool.take(), pool.take(), pool.take());
        // Before: every chunk was direct; the one dropped each sync waited for a collection to free its memory.
        assertThat(taken).extracting(java.nio.ByteBuffer::isDirect).containsExactly(true, true, false);
    }

    /** The chunks of a full in-memory spool are reused from sync to sync (no allocation per sync), kept by the process. */
    @Test
    void steadySyncsAllocateNoChunksAndCloseReleasesThem() throws Exception {
        int ps = 4096;
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        dev.ltx4j.conformance.InMemoryReplicaClient replica = new dev.ltx4j.conformance.InMemoryReplicaClient();
        Database w = Database.open(replica, "app.db", Kit.writer(new dev.ltx4j.pagestore.testkit.MemoryLogStorage(),
                dir.resolve("c"), clock, 9).cacheBytes(0).build());
        Spool.Chunks pool = w.sync.spoolChunks();
        long[] allocated = new long[3];
        Random random = new Random(8);
        for (int round = 0; round < 3; round++) {
            try (WriteSession s = w.beginWrite()) { // about 12 MiB of incompressible pages: 47 chunks
                byte[] page = new byte[ps];
                for (int p = 1; p <= 3000; p++) {
                    random.nextBytes(page);
                    if (p == 1) {
                        System.arraycopy(Kit.page1(ps, 3000), 0, page, 0, 100);
                    }
                    s.write((long) (p - 1) * ps, page, 0, ps);
                }
                s.commit();
            }
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            allocated[round] = pool.allocations();
        }
        // Before: the pool kept 32 chunks (8 MiB), so every sync of this size allocated (and dropped) 15 more.
        assertThat(allocated[2]).as("chunks allocated by the 2nd and 3rd sync").isEqualTo(allocated[0]);
        // Between syncs the chunks wait in the process's pool, not in the engine (round 7: idle databases hold none).
        assertThat(pool.retained()).as("chunks the engine itself keeps").isZero();
        assertThat(dev.ltx4j.pagestore.DirectBufferPool.idleBytes()).isGreaterThanOrEqualTo(12L << 20);
        w.close();
        assertThat(pool.retained()).as("chunks kept after close").isZero();
    }
}
