package dev.ltx4j.syncer;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.ForwardingReplicaClient;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A replica that has lived for days (docs/request-costs.md): a writer with the default compaction (levels 30s, 5m,
 * 1h, a daily snapshot, 24h retention) commits a few random pages every {@code every} of simulated time and syncs
 * each commit as one level-0 file; its scheduler's compaction step runs at every sync. The injected clock moves, no
 * thread sleeps.
 */
final class OldReplica {
    static final int PS = 4096;
    /** Pages of the database (4 MiB at 4 KiB pages). */
    static final int PAGES = 1024;

    final Kit.ManualClock clock;
    final Instant start;

    OldReplica(long startMillis) {
        this.clock = new Kit.ManualClock(startMillis);
        this.start = clock.instant();
    }

    /** Writes {@code commits} transactions, one every {@code every}, with the default compaction running. */
    void live(ReplicaClient replica, Path dir, int commits, Duration every, long seed) throws IOException {
        live(replica, dir, commits, every, seed, CompactionSettings.defaults());
    }

    void live(ReplicaClient replica, Path dir, int commits, Duration every, long seed, CompactionSettings compaction)
            throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        try (Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), dir.resolve("c"), clock,
                seed).compaction(compaction).build())) {
            if (w.current().txid() == 0) {
                try (WriteSession s = w.beginWrite()) {
                    s.write(0, Kit.page1(PS, 1), 0, PS);
                    for (int p = 2; p <= PAGES; p++) {
                        s.write((long) (p - 1) * PS, randomPage(random), 0, PS);
                    }
                    s.commit();
                }
                sync(w);
            }
            for (int i = 0; i < commits; i++) {
                clock.advance(every);
                int n = 1 + random.nextInt(4);
                try (WriteSession s = w.beginWrite()) {
                    for (int k = 0; k < n; k++) {
                        s.write((long) (1 + random.nextInt(PAGES - 1)) * PS, randomPage(random), 0, PS);
                    }
                    s.commit();
                }
                sync(w);
            }
        }
    }

    /** A page of random bytes (a page of a real table compresses little). */
    private static byte[] randomPage(SplittableRandom random) {
        byte[] p = new byte[PS];
        for (int i = 0; i < PS; i += 8) {
            long v = random.nextLong();
            for (int b = 0; b < 8; b++) {
                p[i + b] = (byte) (v >>> (8 * b));
            }
        }
        return p;
    }

    private void sync(Database w) {
        SyncOutcome o = w.syncOnce(clock.instant());
        if (o.status() != SyncOutcome.Status.SYNCED) {
            throw new IllegalStateException("sync: " + o);
        }
        w.compactOnce(clock.instant());
    }

    /** Files per level, e.g. {@code L0=1440 L1=2880 ...}. */
    static String shape(ReplicaClient replica) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int l = 0; l <= ReplicaClient.MAX_LEVEL; l++) {
            int n = replica.listFiles(l, 0, false).size();
            if (n > 0) {
                sb.append(sb.length() == 0 ? "" : " ").append('L').append(l).append('=').append(n);
            }
        }
        return sb.toString();
    }

    /**
     * Counts the LIST pages S3 would serve (1,000 keys a page; Azure serves 5,000, so this is the dearer count) and
     * HEADs of a listing with metadata, beside the logical requests {@link dev.ltx4j.replica.CountingReplicaClient}
     * counts.
     */
    static final class Pages extends ForwardingReplicaClient {
        static final int PAGE = 1000;
        long pages;
        long heads;
        final long[] gets = new long[ReplicaClient.MAX_LEVEL + 1];

        Pages(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
            List<LtxFileInfo> files = delegate.listFiles(level, seek, meta);
            synchronized (this) {
                pages += Math.max(1, (files.size() + PAGE - 1) / PAGE);
                if (meta) {
                    heads += files.size();
                }
            }
            return files;
        }

        @Override
        public java.io.InputStream openFile(int level, long min, long max, long offset, long length)
                throws ReplicaException {
            synchronized (this) {
                gets[level]++;
            }
            return delegate.openFile(level, min, max, offset, length);
        }

        synchronized void reset() {
            pages = 0;
            heads = 0;
            java.util.Arrays.fill(gets, 0);
        }

        synchronized String getsByLevel() {
            StringBuilder sb = new StringBuilder();
            for (int l = 0; l < gets.length; l++) {
                if (gets[l] > 0) {
                    sb.append(sb.length() == 0 ? "" : " ").append('L').append(l).append('=').append(gets[l]);
                }
            }
            return sb.toString();
        }
    }
}
