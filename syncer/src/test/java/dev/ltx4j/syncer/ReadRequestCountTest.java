package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Counts replica requests and bytes of a cold open and a full scan in read mode (a measurement printed with
 * MEASURE, plus what verification guarantees: the file is downloaded once, and a scan that fits in the cache
 * needs no further request). Scale with {@code -Dltx4j.readcount.pages}.
 */
class ReadRequestCountTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    @Test
    void coldOpenAndScanOfASnapshot() throws Exception {
        int pages = Integer.getInteger("ltx4j.readcount.pages", 2560); // 10 MB, the quick scan benchmark's size
        Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
        InMemoryReplicaClient replica = new InMemoryReplicaClient();
        try (Database w = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 5).build())) {
            try (WriteSession s = w.beginWrite()) {
                SplittableRandom r = new SplittableRandom(1);
                for (long p = 1; p <= pages; p++) {
                    byte[] page = p == 1 ? Kit.page1(PS, 1) : new byte[PS];
                    if (p > 1) {
                        r.nextBytes(page);
                        java.util.Arrays.fill(page, 0, PS / 4, (byte) 0); // compressible in part, like real pages
                    }
                    s.write((p - 1) * PS, page, 0, PS);
                }
                s.commit();
            }
            w.syncOnce(clock.instant());
        }
        long fileSize = replica.listFiles(0, 0, false).get(0).size();
        for (long cache : new long[] {(long) pages * PS + (16L << 20), 10L << 20, 0}) {
            CountingReplicaClient counting = new CountingReplicaClient(replica);
            try (Database f = Database.open(counting, "app.db", Kit.reader(clock).cacheBytes(cache).build())) {
                CountingReplicaClient.Counts open = counting.snapshot();
                byte[] all = Kit.readAll(f);
                CountingReplicaClient.Counts scan = counting.snapshot();
                Kit.readAll(f);
                CountingReplicaClient.Counts again = counting.snapshot();
                assertThat(all).hasSize(pages * PS);
                System.out.printf("MEASURE read mode, %d-page snapshot (%d bytes), cache %d MB: open %d requests"
                                + " %d bytes; cold scan %d requests %d bytes; warm scan %d requests %d bytes%n",
                        pages, fileSize, cache >> 20, open.requests(), open.bytesRead(),
                        scan.requests() - open.requests(), scan.bytesRead() - open.bytesRead(),
                        again.requests() - scan.requests(), again.bytesRead() - scan.bytesRead());
                assertThat(scan.bytesRead() - open.bytesRead()).as("the file is read whole once, then ranges")
                        .isGreaterThanOrEqualTo(fileSize);
                if (cache >= (long) pages * PS * 2) {
                    assertThat(scan.requests() - open.requests()).as("verification warmed the whole scan")
                            .isEqualTo(1);
                    assertThat(again.requests()).isEqualTo(scan.requests());
                }
            }
        }
    }
}
