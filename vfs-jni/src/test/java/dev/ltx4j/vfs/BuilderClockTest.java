package dev.ltx4j.vfs;

import static dev.ltx4j.vfs.Sql.exec;
import static dev.ltx4j.vfs.Sql.number;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LitestreamVfsBuilder#clock} is the engine's wall time, not only the VFS layer's: the sync that closing the
 * last connection runs inside the engine stamps its LTX file with the builder's clock (it used the system clock, so
 * only {@code litestream_sync()} followed an injected clock).
 */
class BuilderClockTest {
    private static final Instant FIXED = Instant.parse("2001-02-03T04:05:06Z");

    @TempDir
    Path dir;

    @Test
    void theEngineStampsItsOwnSyncsWithTheBuilderClock() throws Exception {
        Path replica = dir.resolve("replica");
        LitestreamVfs.Registration vfs = LitestreamVfs.builder().replica(replica.toUri().toString()).writeEnabled(true)
                .syncInterval(Duration.ofHours(1)).compaction(CompactionSettings.off())
                .bufferPath(Files.createDirectories(dir.resolve("buf")).resolve("buffer"))
                .clock(Clock.fixed(FIXED, ZoneOffset.UTC)).register("clock-" + System.nanoTime());
        try {
            try (Connection c = vfs.connect(dir.resolve("app.db"))) {
                exec(c, "create table t(x)", "insert into t values (1)", "insert into t values (2)");
                assertThat(number(c, "select count(*) from t")).isEqualTo(2);
            } // the last connection closes the database: the engine's close-time sync uploads the three commits
        } finally {
            vfs.unregister();
        }
        List<LtxFileInfo> files = new FileReplicaClient(replica).listFiles(0, 0, true);
        assertThat(files).isNotEmpty();
        assertThat(files).allSatisfy(f -> assertThat(f.createdAt()).isEqualTo(FIXED));
    }
}
