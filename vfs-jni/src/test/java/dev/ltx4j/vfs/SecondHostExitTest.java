package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.vfs.engine.EngineVfsDatabase;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each host exit flushes what is committed. The exit's state (the databases it flushed, its deadline) was static and
 * never reset, so a second exit in the same JVM (tests; a host that runs the hook twice) skipped a database the first
 * one had flushed and left its commits unsynced, or reported a false timeout on the first exit's past deadline.
 */
class SecondHostExitTest {
    @TempDir
    Path dir;

    @Test
    void aSecondExitFlushesAgain() throws Exception {
        byte[] image = DaemonReplica.walDatabase(dir.resolve("src.db"), "create table t(id integer primary key)");
        String url = dir.resolve("replica").toUri().toString();
        DaemonReplica.importImage(url, image);
        EngineOptions options = EngineOptions.builder().writeEnabled(true).bufferPath(dir.resolve("buffer"))
                .syncInterval(Duration.ofHours(1)).build();
        try (EngineVfsDatabase v = new EngineVfsDatabase(new DatabaseRegistry().acquire("test", "db",
                () -> Database.open(ReplicaClients.open(url, ReplicaEnvironment.system()), "db", options)),
                Clock.systemUTC())) {
            commit(v, image);
            v.onHostExit();
            assertThat(v.database().status().pendingCommits()).as("after the first exit").isZero();
            commit(v, image);
            assertThat(v.database().status().pendingCommits()).isEqualTo(1);
            v.onHostExit();
            assertThat(v.database().status().pendingCommits()).as("after the second exit").isZero();
        }
    }

    private static void commit(EngineVfsDatabase v, byte[] image) throws Exception {
        v.beginRead();
        v.beginWrite();
        v.write(ByteBuffer.wrap(image, 4096, 4096), 4096);
        v.beforeCommit();
        v.commit();
        v.endWrite();
        v.endRead();
    }
}
