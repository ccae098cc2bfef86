package dev.ltx4j.vfs;

import dev.ltx4j.ltx.LtxRestorer;
import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.CountingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.replica.s3.S3ProxyServer;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.HydrationOptions;
import dev.ltx4j.syncer.ReadTransaction;
import dev.ltx4j.syncer.WriteSession;
import java.io.BufferedInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11's measurement on S3 (in-process S3Proxy): a cold full scan in read mode (whole-file verification through
 * parallel ranged reads) and a hydration, against a plain restore of the same replica (one GET per file, what
 * {@code ltx4j restore} does): requests, bytes and throughput, printed with MEASURE. Only what cannot vary is
 * asserted (the same bytes, the request counts); timings are printed, never asserted. Size with
 * {@code -Dltx4j.coldscan.mb} (default 48).
 */
@ExtendWith(S3ProxyServer.class)
class ColdScanS3MeasurementTest {
    static final int PS = 4096;

    @TempDir
    Path dir;

    @Test
    void coldFullScanAndHydrationAgainstAPlainRestore(S3ProxyServer.Endpoint s3) throws Exception {
        int pages = Integer.getInteger("ltx4j.coldscan.mb", 48) * 256;
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", s3.accessKey(),
                "AWS_SECRET_ACCESS_KEY", s3.secretKey()));
        String url = "s3://" + S3ProxyServer.BUCKET + "/coldscan-" + System.nanoTime() + "/app.db?endpoint="
                + s3.uri() + "&forcePathStyle=true";
        try (ReplicaClient client = ReplicaClients.open(url, env)) {
            try (Database w = Database.open(client, "app.db", EngineOptions.builder().writeEnabled(true)
                    .bufferPath(dir.resolve("buffer")).syncInterval(Duration.ofHours(1)).build())) {
                SplittableRandom r = new SplittableRandom(7);
                try (WriteSession s = w.beginWrite()) {
                    for (long p = 1; p <= pages; p++) {
                        byte[] page = new byte[PS];
                        r.nextBytes(page);
                        Arrays.fill(page, 0, PS / 4, (byte) 0);
                        if (p == 1) {
                            System.arraycopy("SQLite format 3\0".getBytes(), 0, page, 0, 16);
                            page[16] = 0x10;
                            page[17] = 0;
                        }
                        s.write((p - 1) * PS, page, 0, PS);
                    }
                    s.commit();
                }
                w.syncOnce(java.time.Instant.now());
            }
            long fileBytes = 0;
            for (LtxFileInfo f : client.listFiles(0, 0, false)) {
                fileBytes += f.size();
            }

            // A plain restore: one GET per file, streamed, as ltx4j restore does.
            CountingReplicaClient c1 = new CountingReplicaClient(client);
            Path out = dir.resolve("restored.db");
            long t0 = System.nanoTime();
            List<LtxSource> chain = new ArrayList<>();
            for (LtxFileInfo f : new RestorePlanner(c1).plan(RestoreTarget.latest())) {
                chain.add(LtxSource.of(f.toString(), () -> new BufferedInputStream(
                        c1.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0), 1 << 16)));
            }
            LtxRestorer.restore(chain, out);
            long restoreNanos = System.nanoTime() - t0;
            byte[] restored = Files.readAllBytes(out);

            // A cold full scan in read mode: the memory cache holds it all, as a warm scan would need.
            CountingReplicaClient c2 = new CountingReplicaClient(client);
            long t1 = System.nanoTime();
            byte[] scanned;
            try (Database f = Database.open(c2, "app.db", EngineOptions.builder().writeEnabled(false)
                    .cacheBytes((long) pages * PS + (64L << 20)).build());
                    ReadTransaction t = f.beginRead()) {
                scanned = new byte[(int) t.sizeBytes()];
                t.read(0, scanned, 0, scanned.length);
            }
            long scanNanos = System.nanoTime() - t1;

            // Hydration of the same replica.
            CountingReplicaClient c3 = new CountingReplicaClient(client);
            long t2 = System.nanoTime();
            Path hydrated = dir.resolve("h").resolve("app.db");
            try (Database f = Database.open(c3, "app.db", EngineOptions.builder().writeEnabled(false)
                    .hydration(HydrationOptions.hydrated(hydrated)).build())) {
                assertThat(f.hydrateOnce(java.time.Instant.now()).state()).isEqualTo("ready");
            }
            long hydrateNanos = System.nanoTime() - t2;

            assertThat(scanned).isEqualTo(restored);
            assertThat(Files.readAllBytes(hydrated)).isEqualTo(restored);
            CountingReplicaClient.Counts r1 = c1.snapshot();
            CountingReplicaClient.Counts r2 = c2.snapshot();
            CountingReplicaClient.Counts r3 = c3.snapshot();
            long chunks = (fileBytes + (4 << 20) - 1) / (4 << 20);
            assertThat(r2.opens()).as("whole-file verification in 4 MiB ranged reads, plus the open's header and"
                    + " index reads").isLessThanOrEqualTo(chunks + 4);
            System.out.printf("MEASURE S3Proxy, %d MB database, %d MB of LTX: plain restore %d requests (%d GETs)"
                            + " %d MB in %d ms = %.0f MB/s; cold full scan %d requests (%d GETs) %d MB in %d ms ="
                            + " %.0f MB/s; hydration %d requests (%d GETs) %d MB in %d ms = %.0f MB/s%n",
                    restored.length >> 20, fileBytes >> 20, r1.requests(), r1.opens(), r1.bytesRead() >> 20,
                    restoreNanos / 1_000_000, mbps(restored.length, restoreNanos), r2.requests(), r2.opens(),
                    r2.bytesRead() >> 20, scanNanos / 1_000_000, mbps(restored.length, scanNanos), r3.requests(),
                    r3.opens(), r3.bytesRead() >> 20, hydrateNanos / 1_000_000, mbps(restored.length, hydrateNanos));
        }
    }

    private static double mbps(long bytes, long nanos) {
        return bytes / 1048576.0 / (nanos / 1e9);
    }
}
