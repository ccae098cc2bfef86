package dev.ltx4j.vfs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static dev.ltx4j.vfs.Sql.exec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * After the last connection closed and the VFS was unregistered, the user may delete or move the replica and the
 * buffer at once: no background work of the engine may still write there. A control handle left open ({@code
 * vfs.database(db).health()} in a one-liner) kept the engine, its sync thread and its compaction lane running after
 * unregister; compaction then wrote L1 files into a replica directory being deleted (InterruptedConnectionsTest's
 * {@code @TempDir} clean-up failed with "replica/ltx not empty", 1 run in 3).
 */
class QuietAfterUnregisterTest {
    @TempDir
    Path dir;

    @Test
    void unregisterClosesTheControlHandlesItGaveOutAndTheEngineStops() throws Exception {
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(dir.resolve("replica").toUri().toString())
                .writeEnabled(true).bufferPath(dir.resolve("buffer")).syncInterval(Duration.ofMillis(20))
                .register("quiet-after-unregister");
        Path db = dir.resolve("app.db");
        LitestreamDatabase forgotten;
        try (Connection c = vfs.connect(db)) {
            exec(c, "create table t(x)");
            for (int i = 0; i < 40; i++) {
                exec(c, "insert into t values (randomblob(2000))"); // L0 files for the compaction lane
            }
            forgotten = vfs.database(db); // never closed by the application
            assertThat(forgotten.health().state()).isEqualTo(Health.State.UP);
        } finally {
            vfs.unregister();
        }
        assertThat(Thread.getAllStackTraces().keySet()).map(Thread::getName)
                .as("the engine's threads ended before unregister returned")
                .noneMatch(name -> name.startsWith("ltx4j-") && name.contains(db.toString()));
        Map<String, Long> before = listing();
        Thread.sleep(1500); // several sync intervals and compaction ticks
        assertThat(listing()).as("replica and buffer files after unregister").isEqualTo(before);
        assertThatThrownBy(forgotten::status).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        forgotten.close(); // idempotent
    }

    /** Every file under the replica and the buffer directory with its size and modification time. */
    private Map<String, Long> listing() throws IOException {
        Map<String, Long> files = new TreeMap<>();
        for (Path root : new Path[] {dir.resolve("replica"), dir.resolve("buffer")}) {
            if (!Files.exists(root)) continue;
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    if (Files.isRegularFile(p)) {
                        files.put(dir.relativize(p) + " " + Files.size(p), Files.getLastModifiedTime(p).toMillis());
                    }
                }
            }
        }
        return files;
    }
}
