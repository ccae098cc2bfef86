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
