package dev.ltx4j.pagestore;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Seeded random transactions plus the expected state after each prefix of them. */
final class Workload {
    /** One transaction: the pages it writes (in write order, rewrites allowed) and the size after it. */
    record Txn(List<Map.Entry<Long, byte[]>> writes, long commitSize) {
        /** Latest image per page, pages above the commit size dropped. */
        Map<Long, byte[]> effective() {
            Map<Long, byte[]> out = new TreeMap<>();
            for (Map.Entry<Long, byte[]> w : writes) {
                if (w.getKey() <= commitSize) {
                    out.put(w.getKey(), w.getValue());
                }
            }
            return out;
        }
    }

    final int pageSize;
    final List<Txn> txns = new ArrayList<>();

    Workload(int pageSize) {
        this.pageSize = pageSize;
    }

    static Workload random(long seed, int pageSize, int count, int maxPagesPerTxn, int maxPgno) {
        Random rnd = new Random(seed);
        Workload w = new Workload(pageSize);
        long size = 0;
        for (int t = 0; t < count; t++) {
            int n = 1 + rnd.nextInt(maxPagesPerTxn);
            List<Map.Entry<Long, byte[]>> writes = new ArrayList<>();
            long max = 0;
            for (int i = 0; i < n; i++) {
                long pgno = 1 + rnd.nextInt(maxPgno);
                byte[] page = new byte[pageSize];
                rnd.nextBytes(page);
                writes.add(Map.entry(pgno, page));
                max = Math.max(max, pgno);
            }
            // Mostly grow or keep the size; sometimes shrink below pages written earlier.
            long commit = rnd.nextInt(8) == 0 ? Math.max(1, max / 2) : Math.max(size, max);
            size = commit;
            w.txns.add(new Txn(writes, commit));
        }
        return w;
    }

    /** Page images of the database after the first {@code k} transactions (pages held by the buffer only). */
    Map<Long, byte[]> stateAfter(int k) {
        Map<Long, byte[]> state = new TreeMap<>();
        for (int i = 0; i < k; i++) {
            Txn t = txns.get(i);
            state.putAll(t.effective());
            state.keySet().removeIf(p -> p > t.commitSize());
        }
        return state;
    }

    long commitSizeAfter(int k, long baseCommit) {
        return k == 0 ? baseCommit : txns.get(k - 1).commitSize();
    }

    /** Commits transactions {@code from..to-1}; returns their sequence numbers. */
    List<Long> apply(WriteBuffer buffer, int from, int to) throws IOException {
        List<Long> seqs = new ArrayList<>();
        for (int i = from; i < to; i++) {
            Txn t = txns.get(i);
            try (WriteTransaction tx = buffer.begin()) {
                for (Map.Entry<Long, byte[]> w : t.writes()) {
                    tx.writePage(w.getKey(), w.getValue());
                }
                seqs.add(tx.commit(t.commitSize()));
            }
        }
        return seqs;
    }

    /** Asserts the buffer holds exactly the transactions {@code from..to-1} (as sequence {@code firstSeq..}). */
    void assertHolds(WriteBuffer buffer, int from, int to, long firstSeq) throws IOException {
        List<CommittedTransaction> held = buffer.transactions();
        assertThat(held).hasSize(to - from);
        for (int i = from; i < to; i++) {
            CommittedTransaction c = held.get(i - from);
            Txn t = txns.get(i);
            assertThat(c.seq()).isEqualTo(firstSeq + (i - from));
            assertThat(c.commitSize()).isEqualTo(t.commitSize());
            assertThat(c.pages()).extracting(PageLocation::pgno).containsExactlyElementsOf(t.effective().keySet());
        }
        Map<Long, byte[]> expected = new LinkedHashMap<>();
        for (int i = from; i < to; i++) {
            Txn t = txns.get(i);
            expected.putAll(t.effective());
            expected.keySet().removeIf(p -> p > t.commitSize());
        }
        byte[] dst = new byte[pageSize];
        for (long pgno = 1; pgno <= maxPgno() + 1; pgno++) {
            boolean found = buffer.readPage(pgno, dst);
            byte[] want = expected.get(pgno);
            assertThat(found).as("page %d present", pgno).isEqualTo(want != null);
            if (want != null) {
                assertThat(Arrays.equals(dst, want)).as("image of page %d", pgno).isTrue();
            }
        }
    }

    long maxPgno() {
        long max = 0;
        for (Txn t : txns) {
            for (Map.Entry<Long, byte[]> w : t.writes()) {
                max = Math.max(max, w.getKey());
            }
        }
        return max;
    }
}
