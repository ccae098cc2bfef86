package dev.ltx4j.vfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.vfs.engine.EngineVfsDatabase;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A transaction refused inside itself (here: a refresh while it read) that reaches the commit says why. The commit
 * cleared the refusal before it read the reason, so the error always said "transaction not committed: null".
 */
class DoomedCommitReasonTest {
    @TempDir
    Path dir;

    @Test
    void theRefusedCommitNamesItsReason() throws Exception {
        byte[] image = DaemonReplica.walDatabase(dir.resolve("src.db"), "create table t(id integer primary key)");
        String url = dir.resolve("replica").toUri().toString();
        DaemonReplica.importImage(url, image);
        EngineOptions options = EngineOptions.builder().writeEnabled(true).bufferPath(dir.resolve("buffer")).build();
        try (EngineVfsDatabase v = new EngineVfsDatabase(new DatabaseRegistry().acquire("test", "db",
                () -> Database.open(ReplicaClients.open(url, ReplicaEnvironment.system()), "db", options)),
                Clock.systemUTC())) {
            v.beginRead();
            v.read(ByteBuffer.allocate(4096), 0);
            v.pragma("litestream_refresh", null);
            v.beginWrite(); // refused inside: the refresh replaced what this transaction read
            v.write(ByteBuffer.wrap(image, 4096, 4096), 4096);
            assertThatThrownBy(v::commit).hasMessageContaining("transaction not committed: the database was refreshed")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("null"));
            v.rollback();
            v.endWrite();
            v.endRead();
        }
    }
}
