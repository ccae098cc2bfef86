package dev.ltx4j.pagestore.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM-wide reservations of the disk page cache's and the hydrated file's lock files (ProcessLocks,
 * docs/class-loaders.md): let go on every failed open, and met by a second spelling through a linked directory.
 */
class LockReservationsTest {
    @TempDir
    Path dir;

    @Test
    void aDiskCacheOpenThatFailsAfterReservingLetsTheReservationGo() throws Exception {
        DiskPageCache.open(dir, "replica\napp.db", 1 << 20).close();
        Path pages = only(".pages");
        Files.delete(pages);
        Files.createSymbolicLink(pages, dir.resolve("elsewhere"));
        assertThatThrownBy(() -> DiskPageCache.open(dir, "replica\napp.db", 1 << 20)).isInstanceOf(IOException.class)
                .hasMessageContaining(pages.toString());
        Files.delete(pages);
        // Before: the failed open kept its reservation, so this cache stayed disabled ("in use by another
        // process") until the JVM exited.
        assertThat(reservations()).isEmpty();
        try (DiskPageCache c = DiskPageCache.open(dir, "replica\napp.db", 1 << 20)) {
            assertThat(c.stats().disabled()).isNull();
        }
        assertThat(reservations()).isEmpty();
    }

    @Test
    void aDiskCacheOpenedThroughALinkedDirectoryIsRefusedWithoutDroppingTheFirstOnesLock() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolveSibling(dir.getFileName() + "-link"), dir);
        try (DiskPageCache first = DiskPageCache.open(dir, "replica\napp.db", 1 << 20)) {
            Path lock = only(".lock");
            try (DiskPageCache second = DiskPageCache.open(link, "replica\napp.db", 1 << 20)) {
                assertThat(second.stats().disabled()).contains("in use by another");
            }
            assertThat(first.stats().disabled()).isNull();
            assertThat(otherProcessTakes(lock)).isEqualTo("refused");
        } finally {
            Files.delete(link);
        }
        assertThat(reservations()).isEmpty();
    }

    @Test
    void aHydrationLockTakenThroughALinkedDirectoryIsRefusedWithoutDroppingTheFirstOnesLock() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolveSibling(dir.getFileName() + "-hlink"), dir);
        try {
            HydrationLock first = HydrationLock.acquire(dir.resolve("app.db"));
            // Before: the second spelling had its own reservation, reached tryLock, met
            // OverlappingFileLockException and closed its channel, which dropped the first one's POSIX lock.
            assertThatThrownBy(() -> HydrationLock.acquire(link.resolve("app.db")))
                    .hasMessageContaining("is in use by another process");
            assertThat(otherProcessTakes(dir.resolve("app.db.lock"))).isEqualTo("refused");
            first.release();
            assertThat(otherProcessTakes(dir.resolve("app.db.lock"))).isEqualTo("taken");
        } finally {
            Files.delete(link);
        }
        assertThat(reservations()).isEmpty();
    }

    @Test
    void aHydrationLockThatFailsAfterReservingLetsTheReservationGo() throws Exception {
        Path missing = dir.resolve("no-such-dir").resolve("app.db");
        assertThatThrownBy(() -> HydrationLock.acquire(missing)).isInstanceOf(IOException.class);
        assertThat(reservations()).isEmpty();
        Files.createDirectories(missing.getParent());
        HydrationLock.acquire(missing).release();
        assertThat(reservations()).isEmpty();
    }

    private Path only(String suffix) throws IOException {
        try (var files = Files.list(dir)) {
            List<Path> l = files.filter(p -> p.getFileName().toString().endsWith(suffix)).toList();
            assertThat(l).hasSize(1);
            return l.get(0);
        }
    }

    /** This JVM's lock reservations of files in {@link #dir} (ProcessLocks' system properties). */
    private List<String> reservations() throws IOException {
        String real = dir.toRealPath().toString();
        return System.getProperties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("ltx4j.lock:") && k.contains(real)).toList();
    }

    /** Whether another process (python3, fcntl as SQLite and the JDK lock) can take the lock now. */
    static String otherProcessTakes(Path lock) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", String.join("\n",
                "import fcntl, sys",
                "f = open(sys.argv[1], 'r+')",
                "try:",
                "    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)",
                "    print('taken')",
                "except OSError:",
                "    print('refused')"), lock.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        return out;
    }
}
