package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.replica.ParallelFetcher;
import dev.ltx4j.pagestore.replica.RemoteFile;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parallel ranged reads return exactly the file's bytes, in order, one request per chunk. */
class ParallelFetcherTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    @Test
    void chunksFetchedInParallelReadBackAsTheWholeFile() throws Exception {
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient replica = new InMemoryReplicaClient();
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp, clock, 3).build());
                WriteSession s = w.beginWrite()) {
            SplittableRandom r = new SplittableRandom(3);
            for (long p = 1; p <= 60; p++) {
                byte[] page = p == 1 ? Kit.page1(PS, 1) : new byte[PS];
                if (p > 1) {
                    r.nextBytes(page);
                }
                s.write((p - 1) * PS, page, 0, PS);
            }
            s.commit();
            s.close();
            w.syncOnce(clock.instant());
        }
        LtxFileInfo info = replica.listFiles(0, 0, false).get(0);
        byte[] whole = replica.readRange(0, info.minTxid(), info.maxTxid(), 0, info.size());
        RemoteFile file = new RemoteFile(0, info.minTxid(), info.maxTxid(), PS, info.size());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountingReplicaClient counting = new CountingReplicaClient(replica);
            int chunk = 16 * 1024;
            ParallelFetcher f = new ParallelFetcher(counting, pool, System::nanoTime, chunk);
            byte[] got;
            try (InputStream in = f.open(file, 0, info.size())) {
                got = in.readAllBytes();
            }
            assertThat(got).isEqualTo(whole);
            long chunks = (info.size() + chunk - 1) / chunk;
            assertThat(counting.snapshot().opens()).isEqualTo(chunks);
            assertThat(f.requests()).isEqualTo(chunks);
            try (InputStream in = f.open(file, 1000, info.size() - 1000)) {
                assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(whole, 1000, whole.length));
            }
            // A direct executor (the simulator's): the same bytes, fetched inline in order.
            ParallelFetcher inline = new ParallelFetcher(replica, Runnable::run, System::nanoTime, chunk);
            try (InputStream in = inline.open(file, 0, info.size())) {
                assertThat(in.readAllBytes()).isEqualTo(whole);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
