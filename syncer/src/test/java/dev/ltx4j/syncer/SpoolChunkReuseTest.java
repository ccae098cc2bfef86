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
}
