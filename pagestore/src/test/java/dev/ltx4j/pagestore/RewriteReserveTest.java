package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.pagestore.storage.FileLogStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rewrite after a sync copies the transactions committed during the upload. On a full disk that copy did not
 * fit, the sync failed, and with no space freed the replica stayed behind for good (field probes round 4). The
 * buffer now keeps the space for it ({@code RewriteReserve}): a commit that would leave less usable space than the
 * buffer's bytes is refused, so the rewrite always fits. A real 3 MiB tmpfs, the default preallocation.
 */
class RewriteReserveTest {
    static final int PS = 4096;

    @TempDir
    Path dir;

    @Test
    void commitsDuringAnUploadLeaveRoomForTheRewriteThatFollowsIt() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Path small = Files.createDirectories(dir.resolve("small"));
        assumeTrue(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", small.toString())
                .inheritIO().start().waitFor() == 0, "cannot mount a tmpfs here");
        SplittableRandom random = new SplittableRandom(11);
        try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(small), TestSupport.NAME,
                TestSupport.options(PS, Durability.LOCAL, 5))) {
            commit(buf, random, 1);
            long uploading = buf.lastCommittedSeq(); // the sync snapshots it and uploads
            buf.snapshot(uploading);
            int acknowledged = 0;
            BufferFullException refused = null;
            while (refused == null && acknowledged < 10_000) { // during the upload the application keeps writing
                try {
                    commit(buf, random, 2 + acknowledged % 50);
                    acknowledged++;
                } catch (BufferFullException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("the disk fills").isNotNull();
            System.out.printf("%d commits during the upload, then: %s%n", acknowledged, refused.getMessage());
            // Before: "no space left for ... bytes ... of db.buffer.next", and the same at every later sync.
            buf.markSynced(uploading, 1, 0);
            assertThat(buf.transactions()).hasSize(acknowledged);
            assertThat(refused.getMessage()).contains("keep space for the rewrite after the next sync");
            // The next sync trims the rest, and commits go on.
            buf.markSynced(buf.lastCommittedSeq(), 2, 0);
            commit(buf, random, 3);
            assertThat(buf.transactions()).hasSize(1);
        } finally {
            new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
        }
    }

    /**
     * A transaction larger than half the free space (a VACUUM, a bulk import) was refused for good: the reserve
     * counted its own pages, and the advice to wait for a sync could not help. No rewrite copies a transaction that
     * no held one precedes, so it is exempt; a later one is refused while it stays untrimmed, with the bytes split,
     * and the refusal leaves nothing on disk.
     */
    @Test
    void aLargeTransactionWithNoneBeforeItCommitsAndARefusalLeavesNothing() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Path small = Files.createDirectories(dir.resolve("large"));
        assumeTrue(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", small.toString())
                .inheritIO().start().waitFor() == 0, "cannot mount a tmpfs here");
        SplittableRandom random = new SplittableRandom(12);
        try {
            long large;
            try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(small), TestSupport.NAME,
                    TestSupport.options(PS, Durability.LOCAL, 5))) {
                large = commitPages(buf, random, 1, 1600); // 6.4 MB of a 12 MiB disk
                BufferFullException refused = null;
                try {
                    commitPages(buf, random, 2000, 4);
                } catch (BufferFullException e) {
                    refused = e;
                }
                assertThat(refused).as("the next one while the large one is held").isNotNull();
                System.out.println(refused.getMessage());
                assertThat(refused.getMessage()).contains("this transaction adds").contains("bytes of older");
                assertThat(buf.transactions()).hasSize(1);
            }
            try (WriteBuffer buf = WriteBuffer.open(new FileLogStorage(small), TestSupport.NAME,
                    TestSupport.options(PS, Durability.LOCAL, 5))) {
                assertThat(buf.failureMessage()).isNull();
                assertThat(buf.transactions()).as("the refused commit left nothing").hasSize(1);
                assertThat(buf.lastCommittedSeq()).isEqualTo(large);
                assertThat(buf.readPage(2000, new byte[PS])).as("the refused page").isFalse();
                buf.markSynced(large, 1, 0); // the sync trims it: the next one commits
                commitPages(buf, random, 2000, 4);
                assertThat(buf.transactions()).hasSize(1);
            }
        } finally {
            new ProcessBuilder("umount", small.toString()).inheritIO().start().waitFor();
        }
    }

    private static long commitPages(WriteBuffer buf, SplittableRandom random, int first, int count) throws Exception {
        try (WriteTransaction tx = buf.begin()) {
            for (int p = first; p < first + count; p++) {
                byte[] page = new byte[PS];
                random.nextBytes(page);
                tx.writePage(p, page);
            }
            return tx.commit(Math.max(buf.commitSize(), first + count - 1));
        }
    }

    /** One transaction of four incompressible pages at {@code first}.. */
    private static void commit(WriteBuffer buf, SplittableRandom random, int first) throws Exception {
        try (WriteTransaction tx = buf.begin()) {
            for (int p = first; p < first + 4; p++) {
                byte[] page = new byte[PS];
                random.nextBytes(page);
                tx.writePage(p, page);
            }
            tx.commit(Math.max(buf.commitSize(), first + 3));
        }
    }
}
