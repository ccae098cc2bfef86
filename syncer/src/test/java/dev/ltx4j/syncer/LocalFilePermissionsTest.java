package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.BufferPaths;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the engine writes next to the buffer (its directory, conflicts/) is owner-only; a planted directory is refused. */
class LocalFilePermissionsTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    @BeforeEach
    void posixOnly() {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void conflictFilesAreOwnerOnlyInAnOwnerOnlyDirectory() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        Path conflicts = tmp.resolve("conflicts");
        EngineOptions o = Kit.writer(storage, conflicts, clock, 7).build();
        try (Database db = Database.open(replica, "app.db", o)) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 20);
            Rival.append(replica, 2, PS);
            clock.advance(Duration.ofSeconds(1));
            db.syncOnce(clock.instant());
            Path saved = db.status().conflict().savedTo();
            assertThat(saved).exists();
            assertThat(saved.getParent()).isEqualTo(conflicts);
            assertThat(mode(conflicts)).isEqualTo("rwx------");
            assertThat(mode(saved)).isEqualTo("rw-------");
        }
    }

    @Test
    void aWorldWritableConflictDirectoryIsNotUsed() throws Exception {
        MemoryLogStorage storage = new MemoryLogStorage();
        Path conflicts = Files.createDirectory(tmp.resolve("conflicts"));
        Files.setPosixFilePermissions(conflicts, PosixFilePermissions.fromString("rwxrwxrwx"));
        EngineOptions o = Kit.writer(storage, conflicts, clock, 7).build();
        try (Database db = Database.open(replica, "app.db", o)) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 20);
            Rival.append(replica, 2, PS);
            db.syncOnce(clock.instant());
            assertThat(db.status().conflict().savedTo()).isNull(); // the commits stay in the buffer
            assertThat(db.status().lastError()).contains(conflicts.toString()).contains("writable by group or others");
            try (var files = Files.list(conflicts)) {
                assertThat(files).isEmpty();
            }
        }
    }

    @Test
    void theDefaultBufferDirectoryIsOwnerOnlyAndAPlantedOneIsRefused() throws Exception {
        String previous = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", tmp.toString());
        try {
            EngineOptions o = EngineOptions.builder().writeEnabled(true).replicaIdentity("mem://perm")
                    .clock(Kit.engine(clock)).seed(3).build();
            Path dir = BufferPaths.defaultPath("mem://perm", "app.db").getParent();
            try (Database db = Database.open(replica, "app.db", o)) {
                commitPages(db, PS, 1, 1);
                assertThat(mode(dir)).isEqualTo("rwx------");
                assertThat(db.status().bufferPath()).startsWith(dir.toString());
                assertThat(mode(Path.of(db.status().bufferPath()))).isEqualTo("rw-------");
            }
            Path other = BufferPaths.defaultPath("mem://perm", "other.db").getParent();
            assertThat(other).isEqualTo(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            assertThatThrownBy(() -> Database.open(replica, "app.db", o))
                    .hasMessageContaining(dir.toString()).hasMessageContaining("writable by group or others");
        } finally {
            System.setProperty("java.io.tmpdir", previous);
        }
    }
}
