package dev.ltx4j.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.internal.PrefetchedChain;
import dev.ltx4j.replica.internal.PrefetchedChain.Limits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The read-ahead of a restore plan (PrefetchedChain): byte for byte what one GET per file returns, whatever the sizes
 * and however the listing's sizes lie; large files in parallel ranged reads; held bytes within the budget; errors at
 * the piece they belong to; and with a direct executor the same requests in plan order on the caller's thread.
 */
class PrefetchedChainTest {
    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

    /** Whole files up to 10,000 bytes, larger ones in chunks of 5,000 (a quarter of the 20,000-byte budget). */
    private static final Limits SMALL = new Limits(4, 20_000, 10_000, 8192);

    private final MapReplicaClient store = new MapReplicaClient();

    private LtxFileInfo put(long txid, int size) {
        byte[] body = MapReplicaClient.body(txid, txid, AT.toEpochMilli(), size);
        store.files.put(MapReplicaClient.key(0, txid, txid), new MapReplicaClient.Stored(body, AT));
        return new LtxFileInfo(0, txid, txid, size, AT);
    }

    private byte[] stored(LtxFileInfo f) {
        return store.files.get(MapReplicaClient.key(f.level(), f.minTxid(), f.maxTxid())).data();
    }

    /** A client that records each read as "level/min offset+length" with the thread that sent it. */
    private static class Recording extends ForwardingReplicaClient {
        final List<String> reads = Collections.synchronizedList(new ArrayList<>());
        final List<String> threads = Collections.synchronizedList(new ArrayList<>());

        Recording(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length) throws ReplicaException {
            reads.add(min + "@" + offset + "+" + length);
            threads.add(Thread.currentThread().getName());
            return super.openFile(level, min, max, offset, length);
        }
    }

    private static List<byte[]> readAll(PrefetchedChain chain) throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (LtxSource s : chain.sources()) {
            try (InputStream in = s.open()) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                byte[] buf = new byte[777]; // odd reads cross piece boundaries
                int n;
                while ((n = in.read(buf)) >= 0) {
                    b.write(buf, 0, n);
                }
                out.add(b.toByteArray());
            }
        }
        return out;
    }

    @Test
    void everyFileArrivesByteForByteAndLargeOnesInRangedReads() throws Exception {
        List<LtxFileInfo> plan = List.of(put(1, 9_000), put(2, 120), put(3, 70_001), put(4, 10_000), put(5, 10_001));
        Recording client = new Recording(store);
        List<byte[]> got;
        try (PrefetchedChain chain = new PrefetchedChain(client, plan, SMALL, null, i -> { })) {
            got = readAll(chain);
            assertThat(chain.maxHeldBytes()).as("held bytes").isPositive().isLessThanOrEqualTo(20_000);
            assertThat(chain.requests()).isEqualTo(client.reads.size());
        }
        for (int i = 0; i < plan.size(); i++) {
            assertThat(got.get(i)).as(plan.get(i).toString()).isEqualTo(stored(plan.get(i)));
        }
        // 70,001 bytes: 14 ranges of 5,000 and the last from 70,000 to the end; 10,001: two of 5,000 and the rest.
        assertThat(client.reads.stream().filter(r -> r.startsWith("3@"))).hasSize(15).contains("3@0+5000",
                "3@65000+5000", "3@70000+0");
        assertThat(client.reads.stream().filter(r -> r.startsWith("5@"))).containsExactlyInAnyOrder("5@0+5000",
                "5@5000+5000", "5@10000+0");
        assertThat(client.reads).contains("1@0+0", "2@0+0", "4@0+0").hasSize(3 + 15 + 3);
        assertThat(client.threads).allMatch(t -> t.startsWith("ltx4j-restore-fetch-"));
    }

    @Test
    void theChunksOfALargeFileAreReadInParallel() throws Exception {
        List<LtxFileInfo> plan = List.of(put(1, 60_000));
        CountDownLatch second = new CountDownLatch(1);
        AtomicInteger startedWhileFirstWaited = new AtomicInteger();
        ReplicaClient gated = new ForwardingReplicaClient(store) {
            @Override
            public InputStream openFile(int level, long min, long max, long offset, long length)
                    throws ReplicaException {
                if (offset == 0) { // the first range waits (up to 10 s) until another range was requested
                    try {
                        if (second.await(10, TimeUnit.SECONDS)) {
                            startedWhileFirstWaited.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                } else {
                    second.countDown();
                }
                return super.openFile(level, min, max, offset, length);
            }
        };
        try (PrefetchedChain chain = new PrefetchedChain(gated, plan, SMALL, null, i -> { })) {
            assertThat(readAll(chain).get(0)).isEqualTo(stored(plan.get(0)));
        }
        assertThat(startedWhileFirstWaited.get()).as("ranges requested while the first was pending").isEqualTo(1);
    }

    @Test
    void aListingThatLiesAboutSizesChangesNoByte() throws Exception {
        put(1, 30_000);
        put(2, 30_000);
        put(3, 2_000);
        // Listed shorter than the objects (the rest streamed from the last response) and longer (the file ends early).
        List<LtxFileInfo> plan = List.of(new LtxFileInfo(0, 1, 1, 20_000, AT), new LtxFileInfo(0, 2, 2, 50_000, AT),
                new LtxFileInfo(0, 3, 3, 1_000, AT));
        try (PrefetchedChain chain = new PrefetchedChain(store, plan, SMALL, null, i -> { })) {
            List<byte[]> got = readAll(chain);
            for (int i = 0; i < plan.size(); i++) {
                assertThat(got.get(i)).as(plan.get(i).toString()).isEqualTo(stored(plan.get(i)));
            }
        }
    }

    @Test
    void aCloseThatFailsAfterACompleteReadCostsNoRetry() throws Exception {
        List<LtxFileInfo> plan = List.of(put(1, 500), put(2, 12_000));
        Recording client = new Recording(store) {
            @Override
            public InputStream openFile(int level, long min, long max, long offset, long length)
                    throws ReplicaException {
                InputStream in = super.openFile(level, min, max, offset, length);
                return new java.io.FilterInputStream(in) {
                    @Override
                    public void close() throws java.io.IOException {
                        super.close();
                        throw new java.io.IOException("simulated reset on release");
                    }
                };
            }
        };
        try (PrefetchedChain chain = new PrefetchedChain(client, plan, SMALL, null, i -> { })) {
            List<byte[]> got = readAll(chain);
            assertThat(got.get(0)).isEqualTo(stored(plan.get(0)));
            assertThat(got.get(1)).isEqualTo(stored(plan.get(1)));
            // Before: every close failure was a failed read: retried (or the file failed).
            assertThat(chain.requests()).isEqualTo(client.reads.size()).isEqualTo(1 + 3);
        }
    }

    @Test
    void aFailedRangeFailsTheFileWhereItBelongs() throws Exception {
        List<LtxFileInfo> plan = List.of(put(1, 500), put(2, 40_000), put(3, 500));
        ReplicaClient failing = new ForwardingReplicaClient(store) {
            @Override
            public InputStream openFile(int level, long min, long max, long offset, long length)
                    throws ReplicaException {
                if (min == 2 && offset == 20_000) {
                    throw new ReplicaTransientException("simulated 503 on L0/2 at " + offset);
                }
                return super.openFile(level, min, max, offset, length);
            }
        };
        try (PrefetchedChain chain = new PrefetchedChain(failing, plan, SMALL, null, i -> { })) {
            List<LtxSource> sources = chain.sources();
            try (InputStream in = sources.get(0).open()) {
                assertThat(in.readAllBytes()).isEqualTo(stored(plan.get(0)));
            }
            byte[] head = new byte[20_000];
            try (InputStream in = sources.get(1).open()) {
                assertThat(in.readNBytes(head, 0, head.length)).isEqualTo(20_000);
                assertThat(head).isEqualTo(Arrays.copyOf(stored(plan.get(1)), 20_000));
                assertThatThrownBy(in::read).isInstanceOf(ReplicaTransientException.class)
                        .hasMessageContaining("L0/2 at 20000");
            }
        }
    }

    @Test
    void aDirectExecutorReadsEveryPieceInPlanOrderOnTheCallersThread() throws Exception {
        List<LtxFileInfo> plan = List.of(put(1, 9_000), put(2, 25_000), put(3, 120), put(4, 120));
        List<List<String>> runs = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            Recording client = new Recording(store);
            try (PrefetchedChain chain = new PrefetchedChain(client, plan, SMALL, Runnable::run, i -> { })) {
                List<byte[]> got = readAll(chain);
                for (int i = 0; i < plan.size(); i++) {
                    assertThat(got.get(i)).isEqualTo(stored(plan.get(i)));
                }
            }
            assertThat(client.threads).containsOnly(Thread.currentThread().getName());
            runs.add(client.reads);
        }
        assertThat(runs.get(0)).containsExactly("1@0+0", "2@0+5000", "2@5000+5000", "2@10000+5000", "2@15000+5000",
                "2@20000+0", "3@0+0", "4@0+0");
        assertThat(runs.get(1)).isEqualTo(runs.get(0));
    }

    @Test
    void aSkippedFileIsReleasedAndAFileOpenedAgainIsReadAgain() throws Exception {
        List<LtxFileInfo> plan = List.of(put(1, 30_000), put(2, 700), put(3, 800));
        Recording client = new Recording(store);
        try (PrefetchedChain chain = new PrefetchedChain(client, plan, SMALL, null, i -> { })) {
            List<LtxSource> sources = chain.sources();
            try (InputStream in = sources.get(2).open()) { // skips the large file and the next
                assertThat(in.readAllBytes()).isEqualTo(stored(plan.get(2)));
            }
            try (InputStream in = sources.get(0).open()) {
                assertThat(in.readAllBytes()).isEqualTo(stored(plan.get(0)));
            }
            assertThat(client.reads).contains("1@0+0"); // the second open: one whole-file read
        }
    }

    /** A client whose reads of the range at offset 20,000 fail {@code failures} times (a network outage), then work. */
    private ReplicaClient outage(int failures, AtomicInteger failed) {
        return new ForwardingReplicaClient(store) {
            @Override
            public InputStream openFile(int level, long min, long max, long offset, long length)
                    throws ReplicaException {
                if (offset == 20_000 && failed.getAndIncrement() < failures) {
                    throw new ReplicaTransientException("s3: cannot connect to endpoint (simulated outage)");
                }
                return super.openFile(level, min, max, offset, length);
            }
        };
    }

    @Test
    void aRangeThatFailsForAWhileIsReadAgainWithinTheRetryTime() throws Exception {
        List<LtxFileInfo> plan = List.of(put(1, 40_000));
        AtomicInteger failed = new AtomicInteger();
        try (PrefetchedChain chain = new PrefetchedChain(outage(3, failed), plan,
                SMALL.withRetries(java.time.Duration.ofSeconds(30)), null, i -> { })) {
            assertThat(readAll(chain).get(0)).isEqualTo(stored(plan.get(0)));
            assertThat(chain.retries()).isEqualTo(3);
        }
        // Without retries of its own (the simulator's, the checks'): the first failure is the file's.
        failed.set(0);
        try (PrefetchedChain chain = new PrefetchedChain(outage(3, failed), plan, SMALL, null, i -> { })) {
            assertThatThrownBy(() -> readAll(chain)).isInstanceOf(ReplicaTransientException.class);
        }
    }

    @Test
    void notFoundIsNeverRetried() throws Exception {
        List<LtxFileInfo> plan = List.of(put(1, 500), new LtxFileInfo(0, 2, 2, 500, AT));
        try (PrefetchedChain chain = new PrefetchedChain(store, plan, SMALL.withRetries(java.time.Duration.ofSeconds(30)),
                null, i -> { })) {
            assertThatThrownBy(() -> readAll(chain)).isInstanceOf(ReplicaNotFoundException.class);
            assertThat(chain.retries()).isZero();
        }
    }
}
