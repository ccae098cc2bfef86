package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A close (or a process exit that closes) with the replica unreachable keeps the unsynced commits in the buffer for
 * the next open; one WARN says so, naming the database, how many, the TXID and the buffer, and no secret.
 */
class CloseWarnsOfUnsyncedCommitsTest {
    static final int PS = 4096;
    static final String SECRET = "wJalrXUtnFEMI-secret";

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient raw = new InMemoryReplicaClient();

    /** Refuses every create while {@code down}, with a message that carries a credential (a careless client's). */
    final class Unreachable extends ForwardingClient {
        volatile boolean down;

        Unreachable() {
            super(raw);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            if (down) {
                throw new ReplicaTransientException("connect to https://AKIDEXAMPLE:" + SECRET
                        + "@replica.example:9000/bucket timed out");
            }
            return super.createFile(level, min, max, body);
        }
    }

    Database open(Unreachable client) throws Exception {
        return Database.open(client, "app.db", EngineOptions.builder().writeEnabled(true)
                .durability(Durability.LOCAL).bufferPath(tmp.resolve("app.buffer"))
                .conflictDirectory(tmp.resolve("conflicts")).clock(Kit.advancing(clock)).seed(3)
                .closeTimeout(Duration.ofMillis(300)).compaction(CompactionSettings.off()).build());
    }

    private static List<String> warnings() {
        return CapturedLogs.lines().stream().filter(l -> l.startsWith("WARN") && l.contains("\"app.db\"")).toList();
    }

    @Test
    void aCloseThatKeepsCommitsWarnsOnceNamingThemAndTheBuffer() throws Exception {
        Unreachable client = new Unreachable();
        Database db = open(client);
        commitPages(db, PS, 1, 1);
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED); // TXID 1
        client.down = true;
        commitPages(db, PS, 2, 2);
        commitPages(db, PS, 3, 3);
        commitPages(db, PS, 2, 4);
        CapturedLogs.clear();
        assertThatThrownBy(db::close).isInstanceOf(SyncFailedException.class)
                .hasMessageContaining("3 unsynced transaction(s)").hasMessageContaining("uploaded at the next open");
        List<String> closing = warnings().stream().filter(l -> l.contains("closed with")).toList();
        assertThat(closing).singleElement().asString()
                .contains("database \"app.db\"", "3 committed transaction(s) not on the replica",
                        "replica ends at TXID 0000000000000001, they become TXID 0000000000000002", tmp.resolve("app.buffer").toString(),
                        "uploaded at the next open", "close timeout of 300 ms");
        assertThat(closing.get(0)).doesNotContain(SECRET).doesNotContain("replica.example");
        client.down = false;
        try (Database again = open(client)) {
            assertThat(again.status().pendingCommits()).isEqualTo(3);
            assertThat(again.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(again.current().txid()).isEqualTo(2);
        }
    }

    @Test
    void aCloseThatSyncsEverythingSaysNothing() throws Exception {
        Unreachable client = new Unreachable();
        Database db = open(client);
        commitPages(db, PS, 1, 1);
        CapturedLogs.clear();
        db.close();
        assertThat(warnings()).isEmpty();
    }
}
