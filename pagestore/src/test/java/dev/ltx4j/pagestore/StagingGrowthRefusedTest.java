package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.ltx.PageBlock;
import dev.ltx4j.pagestore.internal.LogFormat;
import dev.ltx4j.pagestore.storage.FileLogStorage;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commit staging starts at {@link LogAppender#FIRST_STAGING_BYTES} and grows with a transaction; when the JVM
 * refuses the memory the transaction is written in parts instead, intact at its commit, and growth is not tried again
 * for {@link LogAppender#GROW_BACKOFF_MILLIS} of the engine clock (each refused try is a full GC and sleeps in the
 * JDK, under the writer slot). Found in review of the growing staging.
 */
class StagingGrowthRefusedTest {
    static final int PS = 4096;
    static final String PURPOSE = "commit staging";

    @TempDir
    Path dir;

    private final MovableClock clock = new MovableClock();

    @AfterEach
    void clearFault() {
        DirectMemoryException.refuseFor = null;
        DirectMemoryException.refuseAsHeap = false;
    }

    private WriteBuffer open(int stagingBytes) throws Exception {
        return WriteBuffer.open(new FileLogStorage(dir), TestSupport.NAME, WriteBufferOptions.builder()
                .pageSize(PS).durability(Durability.LOCAL).stagingBytes(stagingBytes).clock(clock)
                .random(() -> new SplittableRandom(7)).build());
    }

    private static byte[] randomPage(Random random, int randomBytes) {
        byte[] page = new byte[PS];
        byte[] head = new byte[randomBytes];
        random.nextBytes(head);
        System.arraycopy(head, 0, page, 0, randomBytes);
        return page;
    }

    private static void commit(WriteBuffer buf, List<byte[]> pages) throws Exception {
        try (WriteTransaction tx = buf.begin()) {
            for (int i = 0; i < pages.size(); i++) {
                tx.writePage(i + 1, pages.get(i));
            }
            tx.commit(Math.max(buf.commitSize(), pages.size()));
        }
    }

    private static void assertPages(WriteBuffer buf, List<byte[]> pages) throws Exception {
        byte[] read = new byte[PS];
        for (int i = 0; i < pages.size(); i++) {
            assertThat(buf.readPage(i + 1, read)).as("page %d held", i + 1).isTrue();
            assertThat(read).as("page %d", i + 1).isEqualTo(pages.get(i));
        }
    }

    private static List<byte[]> randomPages(int count, int seed) {
        Random random = new Random(seed);
        List<byte[]> pages = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            pages.add(randomPage(random, PS));
        }
        return pages;
    }

    @Test
    void aRefusedGrowthIsTriedOnceAndTheTransactionIsWrittenInParts() throws Exception {
        List<byte[]> big = randomPages(1000, 1); // about 4 MiB of records, within the 8 MiB staging limit
        try (WriteBuffer buf = open(8 << 20)) {
            DirectBufferPool.dropIdle(); // no idle pool buffer for the refused allocation's retry to take
            DirectMemoryException.refuseFor = PURPOSE;
            DirectMemoryException.REFUSED.set(0);
            commit(buf, big);
            assertThat(DirectMemoryException.REFUSED.get()).as("growth tries refused in one 4 MiB transaction")
                    .isBetween(1, 2);
            assertPages(buf, big);

            int before = DirectMemoryException.REFUSED.get();
            commit(buf, randomPages(200, 2));
            assertThat(DirectMemoryException.REFUSED.get()).as("no try within the backoff").isEqualTo(before);

            clock.advance(LogAppender.GROW_BACKOFF_MILLIS);
            commit(buf, big);
            assertThat(DirectMemoryException.REFUSED.get()).as("tried again after the backoff").isGreaterThan(before);
            DirectMemoryException.refuseFor = null;
        }
        try (WriteBuffer buf = open(8 << 20)) {
            assertPages(buf, big); // the transactions written in parts recover whole
        }
    }

    /**
     * Found in review: a heap {@link OutOfMemoryError} (rethrown by {@link DirectMemoryException#from}) escaped
     * {@code reserveCommit}, outside the rollback of {@code TransactionWrites.appendCommit}, and left the transaction's
     * records staged. The transaction here fills the first staging so exactly that the commit record needs growth.
     */
    @Test
    void aHeapOutOfMemoryWhileGrowingForTheCommitRecordFallsBackToWriting() throws Exception {
        int maxRecord = LogFormat.maxRecord(PS);
        Random random = new Random(3);
        byte[] last = randomPage(random, PS);
        int lastRecord = recordSize(last);
        // Staged before the last page: it still fits a largest record, and the commit record then does not fit.
        int target = LogAppender.FIRST_STAGING_BYTES - maxRecord;
        assertThat(LogAppender.FIRST_STAGING_BYTES - target - lastRecord).isLessThan(LogFormat.COMMIT_SIZE);
        List<byte[]> pages = new ArrayList<>();
        int staged = 0;
        while (target - staged > maxRecord + maxRecord / 2) {
            byte[] page = randomPage(random, PS);
            pages.add(page);
            staged += recordSize(page);
        }
        // Two fillers of part-random pages bring the staged bytes within the window below the target.
        int window = lastRecord + LogFormat.COMMIT_SIZE - maxRecord;
        byte[][] fillers = fillers(random, target - staged, window);
        pages.add(fillers[0]);
        pages.add(fillers[1]);
        pages.add(last);
        try (WriteBuffer buf = open(1 << 20)) {
            try (WriteTransaction tx = buf.begin()) {
                long start = buf.appender.end();
                for (int i = 0; i < pages.size(); i++) {
                    tx.writePage(i + 1, pages.get(i));
                }
                assertThat(LogAppender.FIRST_STAGING_BYTES - (buf.appender.end() - start))
                        .as("room left for the commit record").isLessThan(LogFormat.COMMIT_SIZE);
                DirectMemoryException.refuseFor = PURPOSE;
                DirectMemoryException.refuseAsHeap = true;
                DirectMemoryException.REFUSED.set(0);
                try {
                    tx.commit(pages.size());
                } catch (OutOfMemoryError e) { // not out of the test: surefire ends the forked JVM on it
                    throw new AssertionError("the failed growth escaped the commit", e);
                }
            }
            assertThat(DirectMemoryException.REFUSED.get()).isEqualTo(1);
            DirectMemoryException.refuseFor = null;
            assertPages(buf, pages);
            List<byte[]> next = randomPages(3, 4);
            commit(buf, next);
            assertPages(buf, next);
        }
        try (WriteBuffer buf = open(1 << 20)) {
            assertPages(buf, randomPages(3, 4));
        }
    }

    /** Two pages whose records together take between {@code bytes - window + 1} and {@code bytes} bytes. */
    private static byte[][] fillers(Random random, int bytes, int window) {
        byte[] first = null;
        for (int n = 0; first == null || recordSize(first) < bytes / 2; n += 16) {
            first = randomPage(random, n);
        }
        int rest = bytes - recordSize(first);
        for (int n = 0; n <= PS; n++) {
            byte[] second = randomPage(random, n);
            int size = recordSize(second);
            if (size <= rest && size > rest - window) {
                return new byte[][] {first, second};
            }
        }
        throw new AssertionError("no filler page of " + rest + " record bytes");
    }

    private static int recordSize(byte[] page) {
        ByteBuffer block = ByteBuffer.allocate(PageBlock.maxBlockSize(PS));
        return LogFormat.Z_HEADER + PageBlock.compress(ByteBuffer.wrap(page), 0, PS, block, 0) + 4;
    }

    /** An engine clock the test moves. */
    private static final class MovableClock extends Clock {
        private long millis = 1_700_000_000_000L;

        void advance(long by) {
            millis += by;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }
}
