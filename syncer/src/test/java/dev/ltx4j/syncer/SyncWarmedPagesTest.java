package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.PageBlock;
import dev.ltx4j.pagestore.replica.PageCache;
import dev.ltx4j.pagestore.replica.RemotePage;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.CountingReplicaClient;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sync warms the page cache with the first pages it uploads (a quarter of the cache), held as the LZ4 blocks of
 * their buffer records until their first read (docs/sync-cost.md, "Session 11"): reading them right after the sync
 * needs no replica request and gives the committed bytes, before and after the cache decompressed them; pages beyond
 * the warm-up are read from the replica; and a held block that is damaged is not served: the page is read back.
 */
class SyncWarmedPagesTest {
    static final int PS = 4096;
    static final int PAGES = 100;
    /** 64 pages of warm-up: a quarter of 1 MiB. */
    static final long CACHE = 1 << 20;
    static final int WARM = (int) (CACHE / 4 / PS);

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final CountingReplicaClient replica = new CountingReplicaClient(new InMemoryReplicaClient());

    private static byte[][] pages(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[][] out = new byte[PAGES][];
        for (int i = 0; i < PAGES; i++) {
            byte[] p = i == 0 ? Kit.page1(PS, 1) : new byte[PS];
            for (int j = i == 0 ? 100 : 0; j < PS * 4 / 10; j++) {
                p[j] = (byte) r.nextInt();
            }
            out[i] = p;
        }
        return out;
    }

    private Database openAndSync(byte[][] pages) throws Exception {
        Database db = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 3).cacheBytes(CACHE).build());
        try (WriteSession s = db.beginWrite()) {
            for (int i = 0; i < PAGES; i++) {
                s.write((long) i * PS, pages[i], 0, PS);
            }
            s.commit();
        }
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        return db;
    }

    private static byte[] read(Database db, int from, int count) throws Exception {
        try (ReadTransaction r = db.beginRead()) {
            byte[] out = new byte[count * PS];
            assertThat(r.read((long) from * PS, out, 0, out.length)).isEqualTo(out.length);
            return out;
        }
    }

    private static byte[] concat(byte[][] pages, int from, int count) {
        byte[] out = new byte[count * PS];
        for (int i = 0; i < count; i++) {
            System.arraycopy(pages[from + i], 0, out, i * PS, PS);
        }
        return out;
    }

    @Test
    void justSyncedPagesAreReadFromTheWarmedCacheWithoutARequest() throws Exception {
        byte[][] pages = pages(11);
        try (Database db = openAndSync(pages)) {
            PageCache cache = db.reader().cache();
            assertThat(db.current().pages().get(1)).as("synced: a remote entry").isInstanceOf(RemotePage.class);
            assertThat(cache.entries()).isEqualTo(WARM);
            assertThat(cache.sizeBytes()).as("held compressed: the blocks' bytes")
                    .isGreaterThan(0).isLessThan((long) WARM * PS * 6 / 10);
            long before = replica.snapshot().requests();

            assertThat(read(db, 0, WARM)).isEqualTo(concat(pages, 0, WARM));
            assertThat(replica.snapshot().requests()).as("no replica request for warmed pages").isEqualTo(before);
            assertThat(cache.inflated()).as("each decompressed at its first read").isEqualTo(WARM);
            assertThat(cache.refused()).isZero();
            assertThat(cache.sizeBytes()).as("now held as pages").isEqualTo((long) WARM * PS);

            assertThat(read(db, 0, WARM)).as("again, from the plain images").isEqualTo(concat(pages, 0, WARM));
            assertThat(replica.snapshot().requests()).isEqualTo(before);
            assertThat(cache.inflated()).isEqualTo(WARM);

            // The pages beyond the warm-up were not cached: their read goes to the replica (the counter sees reads).
            assertThat(read(db, WARM, PAGES - WARM)).isEqualTo(concat(pages, WARM, PAGES - WARM));
            assertThat(replica.snapshot().requests()).isGreaterThan(before);
        }
    }

    @Test
    void aDamagedHeldBlockIsNotServedThePageIsReadFromTheReplica() throws Exception {
        byte[][] pages = pages(12);
        try (Database db = openAndSync(pages)) {
            PageCache cache = db.reader().cache();
            int victim = 5; // page 6, warmed
            RemotePage rp = (RemotePage) db.current().pages().get(victim + 1);
            // Its block with a flipped bit where a literal is: decompresses to a full page, the wrong one.
            ByteBuffer dst = ByteBuffer.allocate(PageBlock.maxBlockSize(PS));
            int n = PageBlock.compress(ByteBuffer.wrap(pages[victim]), 0, PS, dst, 0);
            byte[] damaged = Arrays.copyOf(dst.array(), n);
            damaged[n / 2] ^= 0x04;
            cache.putBlock(rp, damaged, victim + 1, PS, PageBlock.pageCrc(victim + 1, pages[victim], 0, PS));
            long before = replica.snapshot().requests();
            CapturedLogs.clear();

            assertThat(read(db, victim, 1)).isEqualTo(pages[victim]);
            assertThat(cache.refused()).isEqualTo(1);
            assertThat(CapturedLogs.lines()).as("a refusal is memory damage or a bad frame: worth a warning")
                    .anySatisfy(l -> assertThat(l).startsWith("WARN dev.ltx4j.pagestore.replica.PageCache page 6 of")
                            .contains(rp.file().name()).contains("failed its CRC-64"));
            assertThat(replica.snapshot().requests()).as("read back from the replica").isEqualTo(before + 1);
            assertThat(read(db, victim, 1)).isEqualTo(pages[victim]);
            assertThat(replica.snapshot().requests()).as("then cached as read").isEqualTo(before + 1);
        }
    }
}
