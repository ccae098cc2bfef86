package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.Durability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16 item 5: spool files of a sync a killed process left behind are removed at the next open. */
class SpoolCleanupTest {
    private static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    private EngineOptions opts(Path buffer) {
        return EngineOptions.builder().writeEnabled(true).durability(Durability.LOCAL).bufferPath(buffer)
                .clock(Kit.engine(clock)).seed(3).closeTimeout(Duration.ofSeconds(5)).build();
    }

    @Test
    void spoolFilesOfADeadProcessAreRemovedAtOpenAndOthersAreLeftAlone() throws Exception {
        Path buffer = tmp.resolve("app.ltx4j-buffer");
        try (Database db = Database.open(replica, "app.db", opts(buffer))) {
            Kit.commitPages(db, PS, 1, 1, 2, 2);
        }
        // What a process killed mid-upload leaves: its spool file in this buffer's spool directory.
        Path spoolDir = Files.createDirectories(tmp.resolve("app.ltx4j-buffer.spool"));
        Path dead = Files.write(spoolDir.resolve("ltx4j-sync-123456.ltx.tmp"), new byte[1000]);
        // Spool files of older builds lie in the buffer directory itself: removed once an hour old.
        Path oldLegacy = Files.write(tmp.resolve("ltx4j-sync-42.ltx.tmp"), new byte[10]);
        Files.setLastModifiedTime(oldLegacy, FileTime.fromMillis(clock.millis() - Duration.ofHours(2).toMillis()));
        Path freshLegacy = Files.write(tmp.resolve("ltx4j-sync-43.ltx.tmp"), new byte[10]);
        Files.setLastModifiedTime(freshLegacy, FileTime.fromMillis(clock.millis()));
        Path unrelated = Files.write(tmp.resolve("notes.tmp"), new byte[10]);

        try (Database db = Database.open(replica, "app.db", opts(buffer))) {
            assertThat(dead).doesNotExist();
            assertThat(oldLegacy).doesNotExist();
            assertThat(freshLegacy).exists(); // might belong to a live process of an older build
            assertThat(unrelated).exists();
            Kit.commitPages(db, PS, 2, 3);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        }
    }

    @Test
    void anotherBuffersSpoolFilesInTheSameDirectoryAreNotTouched() throws Exception {
        Path other = Files.createDirectories(tmp.resolve("other.ltx4j-buffer.spool"));
        Path theirs = Files.write(other.resolve("ltx4j-sync-1.ltx.tmp"), new byte[10]);
        Path buffer = tmp.resolve("app.ltx4j-buffer");
        try (Database db = Database.open(replica, "app.db", opts(buffer))) {
            Kit.commitPages(db, PS, 1, 1);
        }
        assertThat(theirs).exists();
    }
}
