package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.pagestore.storage.FileLogStorage;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reserve asks the file system for the usable space at a commit. That lookup can fail where writes still work
 * (the buffer's directory renamed under it, a container without the mount point in its table, NFS errors). Before,
 * the error escaped after the commit's records were written and the writer slot was released: the next commit's
 * record counted the stray pages too and the buffer was refused as damaged at reopen. Now an unknown usable space
 * does not refuse, and whatever fails there rolls the transaction back.
 */
class UnknownUsableSpaceTest {
    static final int PS = 4096;

    @TempDir
    Path dir;

    @Test
    void aFailingSpaceLookupNeitherRefusesNorDamagesTheBuffer() throws Exception {
        Failing storage = new Failing(new FileLogStorage(dir));
        List<Integer> acknowledged = new ArrayList<>(); // the fill of each commit that returned
        try (WriteBuffer buf = WriteBuffer.open(storage, TestSupport.NAME, TestSupport.options(PS, Durability.LOCAL, 3))) {
            storage.fail = true;
            commit(buf, 3, new long[] {1, 2, 3}, 1, acknowledged);
            commit(buf, 3, new long[] {2}, 2, acknowledged);
            storage.fail = false;
            commit(buf, 4, new long[] {4}, 3, acknowledged);
            storage.fail = true;
            commit(buf, 4, new long[] {1}, 4, acknowledged);
        }
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(dir), TestSupport.NAME,
                TestSupport.options(PS, Durability.LOCAL, 3))) {
            // Before: the stray records of the failed commit made the next one's page count wrong.
            assertThat(buf.failureMessage()).as("refused as damaged").isNull();
            assertThat(buf.transactions()).as("every acknowledged commit").hasSize(acknowledged.size());
            assertThat(acknowledged).as("an unknown usable space refuses nothing").containsExactly(1, 2, 3, 4);
            int[] expected = {4, 2, 1, 3};
            for (int p = 1; p <= 4; p++) {
                byte[] dst = new byte[PS];
                assertThat(buf.readPage(p, dst)).isTrue();
                assertThat(dst).as("page %d", p).isEqualTo(TestSupport.page(PS, expected[p - 1]));
            }
        }
    }

    private static void commit(WriteBuffer buf, int size, long[] pgnos, int fill, List<Integer> acknowledged) {
        try {
            TestSupport.commit(buf, size, pgnos, fill);
            acknowledged.add(fill);
        } catch (Exception e) {
            System.out.println("commit " + fill + " failed: " + e);
        }
    }

    /** A file storage whose usable-space lookup fails on demand, as after the directory was renamed. */
    private static final class Failing implements LogStorage {
        final LogStorage d;
        volatile boolean fail;

        Failing(LogStorage d) {
            this.d = d;
        }

        @Override
        public long usableSpace() throws IOException {
            if (fail) throw new NoSuchFileException("/gone/db.buffer");
            return d.usableSpace();
        }

        @Override
        public LogFile open(String name) throws IOException {
            return d.open(name);
        }

        @Override
        public LogFile create(String name) throws IOException {
            return d.create(name);
        }

        @Override
        public boolean exists(String name) throws IOException {
            return d.exists(name);
        }

        @Override
        public void deleteIfExists(String name) throws IOException {
            d.deleteIfExists(name);
        }

        @Override
        public void replace(String from, String to) throws IOException {
            d.replace(from, to);
        }

        @Override
        public boolean keepAs(String name, String spare) throws IOException {
            return d.keepAs(name, spare);
        }

        @Override
        public LogFile reuse(String spare, String name, long keepAtMost) throws IOException {
            return d.reuse(spare, name, keepAtMost);
        }

        @Override
        public void syncDirectory() throws IOException {
            d.syncDirectory();
        }

        @Override
        public StorageLock lock(String name) throws IOException {
            return d.lock(name);
        }

        @Override
        public String describe(String name) {
            return d.describe(name);
        }
    }
}
