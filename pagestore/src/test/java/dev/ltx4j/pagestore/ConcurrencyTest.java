package dev.ltx4j.pagestore;

import static dev.ltx4j.pagestore.TestSupport.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers committing (sharing forces), readers reading and a syncer snapshotting and trimming, all at once, on a
 * real file. Every page image encodes who wrote it, so torn or misplaced reads are detectable; the history of
 * commits is checked afterwards against every snapshot the syncer took and against the reopened buffer.
 */
class ConcurrencyTest {
    private static final int PAGE = 1024;
    private static final int WRITERS = 3;
    private static final int TXNS_PER_WRITER = Integer.getInteger("ltx4j.concurrency.txns", 60);
    private static final int PAGES = 24;

    @TempDir
    Path dir;

    /** Image of {@code pgno} written by transaction {@code tag}: the tag repeated, so torn reads show. */
    static byte[] image(long pgno, long tag) {
        ByteBuffer b = ByteBuffer.allocate(PAGE);
        while (b.hasRemaining()) {
            b.putLong(pgno * 1_000_000_007L ^ tag);
        }
        return b.array();
    }

    static long tagOf(long pgno, byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        long first = b.getLong(0);
        for (int i = 8; i < PAGE; i += 8) {
            assertThat(b.getLong(i)).as("page %d is torn", pgno).isEqualTo(first);
        }
        return first ^ (pgno * 1_000_000_007L);
    }

    record Snap(long upToSeq, Map<Long, Long> tags) {}

    @Test
    void writersReadersAndSyncerRunTogether() throws Exception {
        Path path = dir.resolve("buffer.db");
        Map<Long, Map<Long, Long>> history = new ConcurrentHashMap<>(); // seq -> pgno -> tag
        List<Snap> snaps = new CopyOnWriteArrayList<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        long lastSyncedTxid;
        long lastSyncedSeq;
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 2);
        try (WriteBuffer buffer = WriteBuffer.open(path, options(PAGE, Durability.LOCAL, 71))) {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(100 + writer);
                    for (int t = 0; t < TXNS_PER_WRITER; t++) {
                        long tag = (long) writer << 32 | t;
                        Map<Long, Long> wrote = new HashMap<>();
                        try (WriteTransaction tx = buffer.begin()) {
                            int n = 1 + rnd.nextInt(4);
                            for (int i = 0; i < n; i++) {
                                long pgno = 1 + rnd.nextInt(PAGES);
                                tx.writePage(pgno, image(pgno, tag));
                                wrote.put(pgno, tag);
                            }
                            long seq = tx.commit(PAGES);
                            history.put(seq, wrote);
                        }
                    }
                    return null;
                }));
            }
            Future<?> reader = pool.submit(() -> {
                SplittableRandom rnd = new SplittableRandom(7);
                byte[] dst = new byte[PAGE];
                while (writing.get()) {
                    long pgno = 1 + rnd.nextInt(PAGES);
                    if (buffer.readPage(pgno, dst)) {
                        tagOf(pgno, dst);
                    }
                }
                return null;
            });
            Future<long[]> syncer = pool.submit(() -> {
                long txid = 1;
                long synced = 0;
                while (writing.get()) {
                    SyncSnapshot snap = buffer.snapshot();
                    if (snap.isEmpty()) {
                        Thread.onSpinWait();
                        continue;
                    }
                    Map<Long, Long> tags = new HashMap<>();
                    for (PageImage p : snap) {
                        tags.put(p.pgno(), tagOf(p.pgno(), p.data()));
                    }
                    snaps.add(new Snap(snap.upToSeq(), tags));
                    buffer.markSynced(snap.upToSeq(), ++txid, 0);
                    synced = snap.upToSeq();
                }
                return new long[] {txid, synced};
            });
            for (Future<?> f : writers) {
                f.get();
            }
            writing.set(false);
            reader.get();
            long[] s = syncer.get();
            lastSyncedTxid = s[0];
            lastSyncedSeq = s[1];
            assertThat(buffer.lastCommittedSeq()).isEqualTo((long) WRITERS * TXNS_PER_WRITER);
        } finally {
            pool.shutdownNow();
        }
        assertThat(history).hasSize(WRITERS * TXNS_PER_WRITER);
        assertThat(snaps).isNotEmpty();
        // Every snapshot equals the fold of the history over its transactions since the previous snapshot.
        long from = 1;
        for (Snap snap : snaps) {
            Map<Long, Long> expected = new HashMap<>();
            for (long seq = from; seq <= snap.upToSeq(); seq++) {
                expected.putAll(history.get(seq));
            }
            assertThat(snap.tags()).as("snapshot up to %d", snap.upToSeq()).isEqualTo(expected);
            from = snap.upToSeq() + 1;
        }
        // Reopen: exactly the unsynced transactions on the last base, with their newest images.
        try (WriteBuffer reopened = WriteBuffer.open(path, options(PAGE, Durability.LOCAL, 72))) {
            assertThat(reopened.base().txid()).isEqualTo(lastSyncedTxid);
            List<Long> seqs = new ArrayList<>();
            reopened.transactions().forEach(t -> seqs.add(t.seq()));
            List<Long> want = new ArrayList<>();
            for (long seq = lastSyncedSeq + 1; seq <= (long) WRITERS * TXNS_PER_WRITER; seq++) {
                want.add(seq);
            }
            assertThat(seqs).isEqualTo(want);
            Map<Long, Long> expected = new HashMap<>();
            for (long seq : want) {
                expected.putAll(history.get(seq));
            }
            byte[] dst = new byte[PAGE];
            for (long pgno = 1; pgno <= PAGES; pgno++) {
                boolean found = reopened.readPage(pgno, dst);
                assertThat(found).isEqualTo(expected.containsKey(pgno));
                if (found) {
                    assertThat(tagOf(pgno, dst)).isEqualTo(expected.get(pgno));
                }
            }
        }
        assertThat(Collections.max(history.keySet())).isEqualTo((long) WRITERS * TXNS_PER_WRITER);
    }
}
