package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.SyncSnapshot;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteBufferOptions;
import dev.ltx4j.pagestore.WriteTransaction;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The one-pass state of the buffer's prefixes (what the proof that the replica holds this writer's state compares
 * with a file's page count and post-apply checksum) equals, after every transaction, the database an LTX file of that
 * whole prefix makes on the base: shrinks that cut written pages off, growths that bring the base's pages back
 * without writing them, pages written twice in one transaction and pages beyond the base.
 */
class PendingStateTest {
    static final int PS = 4096;
    static final long BASE_PAGES = 6;

    static byte[] image(long pgno, int version) {
        byte[] page = new byte[PS];
        new Random(pgno * 1_000_003L + version).nextBytes(page);
        return page;
    }

    @Test
    void theRunningStateEqualsEachWholePrefixAppliedOnTheBase() throws Exception {
        DatabaseChecksum baseSum = new DatabaseChecksum(PS);
        Map<Long, Long> basePages = new HashMap<>();
        for (long p = 1; p <= BASE_PAGES; p++) {
            basePages.put(p, Crc64.pageChecksum(p, image(p, 0), 0, PS));
            baseSum.toggle(p, image(p, 0), 0);
        }
        BufferBase base = new BufferBase(5, baseSum.value(), BASE_PAGES);
        for (int seed = 1; seed <= 20; seed++) {
            Random r = new Random(seed);
            MemoryLogStorage storage = new MemoryLogStorage();
            try (WriteBuffer buf = WriteBuffer.open(storage, "b", WriteBufferOptions.builder().pageSize(PS)
                    .durability(Durability.NONE).initialBase(base).build())) {
                int version = 1;
                for (int t = 0; t < 30; t++) {
                    long commit = 1 + r.nextInt(12); // shrinks below and grows beyond the base's six pages
                    try (WriteTransaction tx = buf.begin()) {
                        for (int n = r.nextInt(5); n > 0; n--) {
                            long p = 1 + r.nextInt((int) commit);
                            tx.writePage(p, image(p, version++));
                            if (r.nextInt(4) == 0) {
                                tx.writePage(p, image(p, version++)); // the last image counts
                            }
                        }
                        tx.commit(commit);
                    }
                }
                PendingState run = new PendingState(base, PS, basePages::get);
                List<SyncSnapshot> txns = buf.transactionSnapshots(buf.lastCommittedSeq());
                assertThat(txns).hasSize(30);
                for (SyncSnapshot t : txns) {
                    run.apply(t);
                    SyncSnapshot whole = buf.snapshot(t.upToSeq());
                    assertThat(run.commitSize()).isEqualTo(whole.commitSize());
                    assertThat(run.postApply()).as("seed %d, prefix up to %d", seed, t.upToSeq())
                            .isEqualTo(appliedOnBase(whole, basePages));
                }
            }
        }
    }

    /** The database an LTX file of {@code whole} makes on the base: its pages, else the base's, up to its size. */
    static long appliedOnBase(SyncSnapshot whole, Map<Long, Long> basePages) throws Exception {
        Map<Long, Long> db = new HashMap<>();
        for (long p = 1; p <= Math.min(BASE_PAGES, whole.commitSize()); p++) {
            db.put(p, basePages.get(p));
        }
        byte[] page = new byte[PS];
        for (int i = 0; i < whole.pageCount(); i++) {
            whole.readPage(i, page);
            db.put(whole.pgno(i), Crc64.pageChecksum(whole.pgno(i), page, 0, PS));
        }
        DatabaseChecksum sum = new DatabaseChecksum(PS);
        db.values().forEach(sum::toggleChecksum);
        return sum.value();
    }
}
