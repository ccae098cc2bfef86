package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.BufferFailedException;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adoptions around a stopped write buffer (docs/write-buffer-recovery.md, "After a failed fsync"): an own upload found
 * on the replica after its response was lost is adopted with only what was published, and a buffer that stopped inside
 * an adoption's rewrite uploads nothing more.
 */
class StoppedBufferAdoptionTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient raw = new InMemoryReplicaClient();
    final MemoryLogStorage storage = new MemoryLogStorage();

    /** A create that lands but whose response is lost, then reads of the replica failing until told otherwise. */
    final class LostCreate extends ForwardingClient {
        long loseResponseOf = -1;
        boolean readsFail;

        LostCreate() {
            super(raw);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            LtxFileInfo info = super.createFile(level, min, max, body);
            if (level == 0 && min == loseResponseOf) {
                loseResponseOf = -1;
                readsFail = true; // the read-back cannot answer either: the round fails, the next one finds it
                throw new ReplicaOutcomeUnknownException("response to the create of L0/" + min + " lost");
            }
            return info;
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length) throws ReplicaException {
            if (readsFail) {
                throw new ReplicaTransientException("simulated 503 reading L" + level + "/" + min);
            }
            return super.openFile(level, min, max, offset, length);
        }

        @Override
        public byte[] readRange(int level, long min, long max, long offset, long length) throws ReplicaException {
            if (readsFail) {
                throw new ReplicaTransientException("simulated 503 reading L" + level + "/" + min);
            }
            return super.readRange(level, min, max, offset, length);
        }
    }

    Database open(LostCreate client) throws IOException {
        return Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 11).build());
    }

    @Test
    void anAdoptionOnAStoppedBufferPublishesOnlyWhatWasPublished() throws Exception {
        // The stopped buffer's log holds the transaction whose force failed (its record is in the page cache): the
        // adoption's new generation must be cut at the published sequence, or readers see the failed commit.
        LostCreate client = new LostCreate();
        Database db = open(client);
        try {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 22);
            commitPages(db, PS, 3, 3);
            byte[] durable = readAll(db);
            storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.FORCE);
            assertThatThrownBy(() -> commitPages(db, PS, 1, 99, 4, 4)).isInstanceOf(BufferFailedException.class);
            storage.setFaults((op, name) -> false);

            client.loseResponseOf = 2;
            SyncOutcome lost = db.syncOnce(clock.instant());
            assertThat(lost.status()).as("%s", lost).isEqualTo(SyncOutcome.Status.FAILED);
            client.readsFail = false;
            SyncOutcome adopted = db.syncOnce(clock.instant());
            assertThat(adopted.status()).as("%s", adopted.error()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(adopted.txid()).isEqualTo(2);

            assertThat(readAll(db)).as("the adopted version shows the durable commits, not the failed one")
                    .isEqualTo(durable);
            assertThat(restore(raw, 0, tmp)).isEqualTo(durable);
            assertThat(db.status().pendingCommits()).as("the failed commit is not pending").isZero();
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.NOTHING_TO_SYNC);
        } finally {
            closeQuietly(db);
        }
    }

    /** TXID 1 synced; TXID 2's create lands but its response is lost; one more durable commit after it. */
    private byte[] lostUploadThenACommit(Database db, LostCreate client) throws IOException {
        commitPages(db, PS, 1, 1, 2, 2);
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        commitPages(db, PS, 2, 22);
        client.loseResponseOf = 2;
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);
        client.readsFail = false;
        commitPages(db, PS, 3, 3); // durable, after the lost upload
        return readAll(db);
    }

    /** The next round adopts TXID 2; its rewrite's rename lands and the directory sync after it fails. */
    private void adoptionStopsInsideItsRewrite(Database db) {
        storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.SYNC_DIRECTORY);
        SyncOutcome adopting = db.syncOnce(clock.instant());
        storage.setFaults((op, name) -> false);
        assertThat(adopting.status()).as("%s", adopting).isEqualTo(SyncOutcome.Status.FAILED);
        assertThat(adopting.error()).hasMessageContaining("directory sync");
        assertThat(db.bufferOrNull().stopped()).isTrue();
    }

    @Test
    void anAdoptionWhoseRewriteLandedBeforeTheStopIsRecorded() throws Exception {
        // The buffer holds TXID 2's base now; the engine records the adoption as the buffer holds it (the file is this
        // writer's on the replica). Before, it kept the old version, whose pages of the adopted transaction pointed
        // into the released generation: every read of page 2 failed ("a reader used a version it had not pinned").
        LostCreate client = new LostCreate();
        Database db = open(client);
        byte[] state;
        try {
            state = lostUploadThenACommit(db, client);
            adoptionStopsInsideItsRewrite(db);

            assertThat(readAll(db)).isEqualTo(state);
            assertThat(db.status().txid()).isEqualTo(2);
            assertThat(db.status().pendingCommits()).isEqualTo(1);
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).as("%s", o.error()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(o.txid()).as("the durable commit after it goes up on the adopted base").isEqualTo(3);
            assertThat(restore(raw, 0, tmp)).isEqualTo(state);
            assertThat(readAll(db)).isEqualTo(state);
            assertThat(db.status().pendingCommits()).isZero();
        } finally {
            closeQuietly(db);
        }
        try (Database again = open(client)) {
            assertThat(again.status().conflict()).isNull();
            assertThat(again.status().txid()).isEqualTo(3);
            assertThat(again.status().pendingCommits()).isZero();
            assertThat(readAll(again)).isEqualTo(state);
        }
    }

    @Test
    void aStoppedBufferOnABaseTheEngineNeverRecordedUploadsNothing() throws Exception {
        // The state the adoption above once left (fault switch forgetLandedAdoption): the stopped buffer is on TXID
        // 2's base with a durable transaction after it, the engine on TXID 1. Encoding that transaction on a base the
        // engine never recorded must be refused (SyncEngine.checkStoppedBase, "base differs"); a reopen reconciles it.
        LostCreate client = new LostCreate();
        EngineOptions.Builder o = Kit.writer(storage, tmp.resolve("conflicts"), clock, 11)
                .faults(EngineFaults.builder().forgetLandedAdoption(true).build());
        Database db = Database.open(client, "app.db", o.build());
        byte[] state;
        try {
            state = lostUploadThenACommit(db, client);
            adoptionStopsInsideItsRewrite(db);
            for (int i = 0; i < 3; i++) {
                SyncOutcome r = db.syncOnce(clock.instant());
                assertThat(r.status()).as("%s", r).isEqualTo(SyncOutcome.Status.FAILED);
                assertThat(r.error()).hasMessageContaining("stopped inside a rewrite, on base TXID 0000000000000002"
                        + " while the sync is at TXID 0000000000000001");
            }
            assertThat(raw.listFiles(0, 0, false)).as("nothing uploaded on a base the engine never recorded")
                    .hasSize(2);
        } finally {
            closeQuietly(db);
        }
        try (Database again = open(client)) {
            assertThat(again.status().conflict()).isNull();
            assertThat(again.status().txid()).isEqualTo(2);
            assertThat(readAll(again)).isEqualTo(state);
            assertThat(again.syncOnce(clock.instant()).txid()).isEqualTo(3);
            assertThat(restore(raw, 0, tmp)).isEqualTo(state);
        }
    }

    /**
     * The same state, closed: the refusal (SyncEngine.checkStoppedBase) holds until a reopen, yet close retried it for
     * its whole timeout and then said the replica could not be reached. It now fails at once naming the buffer.
     */
    @Test
    void aCloseOfAStoppedBufferWhoseSyncIsRefusedFailsAtOnceNamingTheBuffer() throws Exception {
        LostCreate client = new LostCreate();
        EngineOptions.Builder o = Kit.writer(storage, tmp.resolve("conflicts"), clock, 11)
                .faults(EngineFaults.builder().forgetLandedAdoption(true).build());
        Database db = Database.open(client, "app.db", o.build());
        lostUploadThenACommit(db, client);
        adoptionStopsInsideItsRewrite(db);
        assertThatThrownBy(db::close).isInstanceOf(SyncFailedException.class)
                .hasMessageContaining("close of database \"app.db\" failed with 2 unsynced transaction(s) kept in "
                        + "memory:db.buffer")
                .hasMessageContaining("stopped inside a rewrite")
                .hasMessageNotContaining("timed out")
                .hasMessageNotContaining("could not be reached");
        assertThat(raw.listFiles(0, 0, false)).as("nothing uploaded").hasSize(2);
    }

    static void closeQuietly(Database db) {
        try {
            db.close();
        } catch (IOException | RuntimeException e) {
            // the stopped buffer refuses close's force; its lock is released all the same
        }
    }
}
