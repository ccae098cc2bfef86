package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaPermanentException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probes, round 6 (docs/field-probes.md): what the engine does on a store that ignores the create-if-absent
 * condition (an S3-compatible store that drops {@code If-None-Match: *}). The engine cannot tell such a store from a
 * correct one, so the backend must ({@code S3CreateCheck}, conformance clause {@code create.unenforced}); these two
 * cases pin why, and what its refusal looks like to a writer.
 */
class IgnoredCreateConditionTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();

    Database open(ReplicaClient client) throws Exception {
        return Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7).build());
    }

    /**
     * The W3 race (a rival lands TXID 2 between our listing and our create) on a backend that trusts such a store:
     * our create "succeeds" by overwriting, the sync reports SYNCED, no conflict is raised, and the rival's
     * acknowledged transaction is gone from the replica with no error anywhere.
     */
    @Test
    void onAStoreThatIgnoresTheConditionARivalsCommitVanishesSilently() throws Exception {
        InMemoryReplicaClient raw = new InMemoryReplicaClient();
        byte[][] rival = new byte[1][];
        ReplicaClient ignoring = new ForwardingClient(raw) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                if (min == 2 && rival[0] == null) {
                    try {
                        rival[0] = Rival.append(raw, 2, PS); // lands after our listing, before our create
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }
                raw.deleteFiles(List.of(new LtxFileInfo(level, min, max, 0, null))); // what the store does: overwrite
                return super.createFile(level, min, max, body);
            }
        };
        try (Database db = open(ignoring)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 20);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(db.status().conflict()).isNull();
            assertThat(raw.readRange(0, 2, 2, 0, 0)).as("the rival's TXID 2 was replaced").isNotEqualTo(rival[0]);
        }
    }

    /**
     * What the S3 backend's refusal looks like to a writer: every sync fails with the backend's permanent error in
     * {@code last_error}, nothing reaches the replica, and every commit stays pending in the buffer (nothing lost).
     */
    @Test
    void aBackendThatRefusesCreatesKeepsEveryCommitPendingAndSaysWhy() throws Exception {
        InMemoryReplicaClient raw = new InMemoryReplicaClient();
        String refusal = "s3: the store at http://store.example (bucket 'b') ignores If-None-Match: * (...)";
        ReplicaClient refusing = new ForwardingClient(raw) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                throw new ReplicaPermanentException(refusal + "; 'x' was not sent");
            }
        };
        Database db = open(refusing);
        commitPages(db, PS, 1, 1, 2, 2);
        commitPages(db, PS, 2, 20);
        for (int i = 0; i < 3; i++) {
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);
        }
        DatabaseStatus status = db.status();
        assertThat(status.lastError()).contains("ignores If-None-Match");
        assertThat(status.pendingCommits()).isEqualTo(2);
        assertThat(status.conflict()).isNull();
        assertThat(raw.listFiles(0, 0, false)).isEmpty();
        // The close's final sync is refused too: the transactions stay in the buffer for the next open.
        assertThatThrownBy(db::close).isInstanceOf(SyncFailedException.class)
                .hasMessageContaining("2 unsynced transaction(s) kept");
    }
}
