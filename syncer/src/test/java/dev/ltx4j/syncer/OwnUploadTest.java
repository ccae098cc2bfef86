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
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writer must recognise its own uploads whatever hid them (a lost create response, a lagging listing, a failed
 * read-back, a buffer that could not record the sync) and never report them as a rival's; and a failure while
 * committing or closing must leave the buffer reopenable. Each case replays a simulator finding deterministically.
 */
class OwnUploadTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient raw = new InMemoryReplicaClient();

    /** Fault switches, each armed for the next matching call only (or, for the listing, while set). */
    final class Faulty extends ForwardingClient {
        long loseResponseOf = -1;
        long throttleCreateOf = -1;
        long failReadsOf = -1;
        int readFailures;
        long hideFromListingFrom = Long.MAX_VALUE;

        Faulty() {
            super(raw);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            if (min == throttleCreateOf) {
                throttleCreateOf = -1;
                throw new ReplicaTransientException("throttled create of L0/" + min);
            }
            LtxFileInfo info = super.createFile(level, min, max, body);
            if (min == loseResponseOf) {
                loseResponseOf = -1;
                throw new ReplicaOutcomeUnknownException("response to the create of L0/" + min + " lost");
            }
            return info;
        }

        @Override
        public InputStream openFile(int level, long min, long max, long offset, long length)
                throws ReplicaException {
            if (min == failReadsOf && readFailures > 0) {
                readFailures--;
                throw new ReplicaTransientException("simulated 503 reading L0/" + min);
            }
            return super.openFile(level, min, max, offset, length);
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seek, boolean useMetadata) throws ReplicaException {
            List<LtxFileInfo> out = new ArrayList<>();
            for (LtxFileInfo f : super.listFiles(level, seek, useMetadata)) {
                if (f.minTxid() < hideFromListingFrom) {
                    out.add(f);
                }
            }
            return out;
        }
    }

    Database open(ReplicaClient client) throws Exception {
        return Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7)
                .clock(Kit.advancing(clock)).build());
    }

    private void assertReplicaHolds(Database db) throws Exception {
        assertThat(restore(raw, 0, tmp)).isEqualTo(readAll(db));
    }

    @Test
    void lostResponseWithALaggingListingIsResolvedByReadingTheFileItself() throws Exception {
        Faulty client = new Faulty();
        try (Database db = open(client)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 20);
            client.loseResponseOf = 2;
            client.hideFromListingFrom = 2; // the listing does not show the file that just landed

            SyncOutcome o = db.syncOnce(clock.instant());

            assertThat(o.status()).as("%s", o).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(o.txid()).isEqualTo(2);
            assertThat(db.status().pendingCommits()).isZero();
            client.hideFromListingFrom = Long.MAX_VALUE;
            commitPages(db, PS, 3, 30);
            assertThat(db.syncOnce(clock.instant()).txid()).isEqualTo(3);
            assertReplicaHolds(db);
        }
    }

    @Test
    void transientErrorReadingALandedFileBackIsNoConflictAndTheNextSyncAdoptsIt() throws Exception {
        Faulty client = new Faulty();
        try (Database db = open(client)) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 20);
            client.loseResponseOf = 2;
            client.failReadsOf = 2;
            client.readFailures = 1;

            SyncOutcome failed = db.syncOnce(clock.instant());

            assertThat(failed.status()).as("%s", failed).isEqualTo(SyncOutcome.Status.FAILED);
            assertThat(db.status().conflict()).isNull();
            // More commits arrive before the retry; the landed file holds only the first of them.
            commitPages(db, PS, 3, 30);
            clock.advance(java.time.Duration.ofSeconds(1)); // a re-encoding now would differ from the landed file
            SyncOutcome retried = db.syncOnce(clock.instant());

            assertThat(retried.status()).as("%s", retried).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(retried.txid()).isEqualTo(3);
            assertThat(db.status().conflict()).isNull();
            assertThat(db.status().pendingCommits()).isZero();
            assertThat(raw.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(1L, 2L, 3L);
            assertReplicaHolds(db);
        }
    }

    @Test
    void uploadThatTheBufferCouldNotRecordIsAdoptedInTheSameProcess() throws Exception {
        try (Database db = open(raw)) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 20, 3, 30);
            // markSynced's rewrite cannot write its new generation: the upload landed, the buffer kept its base.
            storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.WRITE && name.endsWith(".next"));
            SyncOutcome failed = db.syncOnce(clock.instant());
            assertThat(failed.status()).as("%s", failed).isEqualTo(SyncOutcome.Status.FAILED);
            assertThat(raw.listFiles(0, 2, false)).hasSize(1);
            storage.setFaults((op, name) -> false);

            commitPages(db, PS, 3, 31);
            SyncOutcome o = db.syncOnce(clock.instant());

            assertThat(o.status()).as("%s", o).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(o.txid()).isEqualTo(3);
            assertThat(db.status().conflict()).isNull();
            assertReplicaHolds(db);
        }
    }

    @Test
    void uploadThatTheBufferCouldNotRecordIsAdoptedOnReopen() throws Exception {
        byte[] expected;
        try (Database db = open(raw)) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 20, 3, 30);
            storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.WRITE && name.endsWith(".next"));
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);
            storage.setFaults((op, name) -> false);
            expected = readAll(db);
            commitPages(db, PS, 4, 40);
            expected = readAll(db);
        }
        try (Database db = open(raw)) {
            assertThat(db.status().conflict()).isNull();
            assertThat(readAll(db)).isEqualTo(expected);
            assertThat(db.status().pendingCommits()).isZero();
            assertReplicaHolds(db);
        }
    }

    @Test
    void failedCommitAndFailedCloseLeaveTheBufferReopenable() throws Exception {
        Database db = open(raw);
        commitPages(db, PS, 1, 1, 2, 2);
        db.syncOnce(clock.instant());
        commitPages(db, PS, 2, 20);
        storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.WRITE);
        assertThatThrownBy(() -> commitPages(db, PS, 3, 30)).isInstanceOf(BufferFailedException.class);
        // The final sync uploads the stopped buffer's durable prefix (its last commit's force had succeeded;
        // docs/write-buffer-recovery.md, "After a failed fsync"), then close releases the buffer. Before session 12
        // the sync refused the failed buffer and close threw SyncFailedException.
        db.close();
        storage.setFaults((op, name) -> false);

        try (Database again = open(raw)) {
            assertThat(again.status().conflict()).isNull();
            assertThat(again.syncOnce(clock.instant()).status()).isNotEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(again.current().txid()).isEqualTo(2); // the upload the close made, adopted
            assertThat(again.status().pendingCommits()).isZero();
            assertReplicaHolds(again);
        }
    }

    @Test
    void openThatFailsHalfWayReleasesTheBufferAndALaggingListingIsNotMistakenForAnOlderReplica() throws Exception {
        Faulty client = new Faulty();
        byte[] expected;
        try (Database db = open(client)) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 20);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 3, 30);
            expected = readAll(db);
        } // the close syncs TXID 3: the buffer's base is now 3
        client.hideFromListingFrom = 2;

        assertThatThrownBy(() -> open(client)).isInstanceOf(ReplicaTransientException.class)
                .hasMessageContaining("lags");

        client.hideFromListingFrom = Long.MAX_VALUE;
        try (Database db = open(client)) {
            assertThat(db.status().conflict()).isNull();
            assertThat(readAll(db)).isEqualTo(expected);
            assertThat(db.current().txid()).isEqualTo(3);
            assertReplicaHolds(db);
        }
    }

    /** Keeps the first unforced writes of each file, loses the last {@code lose} (a crash mid-way). */
    static MemoryLogStorage.CrashPolicy loseLastWrites(long lose) {
        return new MemoryLogStorage.CrashPolicy() {
            @Override
            public int keptDirectoryOperations(int pending) {
                return pending;
            }

            @Override
            public boolean keepWrite(String fileName, int index, int pending) {
                return index < pending - lose;
            }

            @Override
            public int tornLength(String fileName, int length) {
                return length;
            }
        };
    }

    @Test
    void noneDurabilityCrashThatLostCommitsAnUploadCarriedAdoptsTheOwnUploadInsteadOfAConflict() throws Exception {
        // Simulator engine seeds 1082 and 1615: the upload at base + 1 held commits A and B, the crash kept only A.
        Faulty client = new Faulty();
        EngineOptions none = Kit.writer(storage, tmp.resolve("conflicts"), clock, 7)
                .durability(dev.ltx4j.pagestore.Durability.NONE).clock(Kit.advancing(clock)).build();
        byte[] uploaded;
        Database db = Database.open(client, "app.db", none);
        commitPages(db, PS, 1, 1, 2, 2);
        long beforeB = storage.mutationCount();
        commitPages(db, PS, 2, 20, 3, 30);
        uploaded = readAll(db);
        long lose = storage.mutationCount() - beforeB;
        client.loseResponseOf = 1; // A and B land as TXID 1, but the writer cannot tell: the outcome stays unknown
        client.failReadsOf = 1;
        client.readFailures = 1_000;
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);
        client.readFailures = 0;
        storage.crash(loseLastWrites(lose));

        try (Database again = Database.open(client, "app.db", none)) {
            assertThat(again.status().conflict()).isNull();
            assertThat(again.status().pendingCommits()).isZero();
            assertThat(again.current().txid()).isEqualTo(1);
            assertThat(readAll(again)).isEqualTo(uploaded);
            commitPages(again, PS, 4, 40);
            assertThat(again.syncOnce(clock.instant()).txid()).isEqualTo(2);
            assertReplicaHolds(again);
        }
    }

    @Test
    void refreshReopensABufferThatStoppedAfterAnIoFailure() throws Exception {
        // Simulator engine seed 1089: refresh() kept throwing BufferFailedException once the buffer had stopped.
        try (Database db = open(raw)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.FORCE);
            assertThatThrownBy(() -> commitPages(db, PS, 2, 20)).isInstanceOf(java.io.IOException.class);
            storage.setFaults((op, name) -> false);
            assertThatThrownBy(() -> commitPages(db, PS, 2, 21)).isInstanceOf(BufferFailedException.class);
            Rival.append(raw, 2, PS);

            db.refresh();

            assertThat(db.current().txid()).isEqualTo(2);
            assertReplicaHolds(db);
            commitPages(db, PS, 3, 30);
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).as("%s", o).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(o.txid()).isEqualTo(3);
            assertReplicaHolds(db);
        }
    }

    @Test
    void anOwnSnapshotAtTxidOneIsFoundBehindLaterHeldCommitsOfTheSameSize() throws Exception {
        // Simulator engine seed 1348: re-encoding a later held prefix with the uploaded snapshot's header made the
        // encoder reject the post-apply checksum (LtxFormatException), so every sync and reopen failed.
        Faulty client = new Faulty();
        byte[] expected;
        try (Database db = open(client)) {
            commitPages(db, PS, 1, 1, 2, 2);
            client.loseResponseOf = 1; // lands, but the writer cannot tell
            client.failReadsOf = 1;
            client.readFailures = 1_000;
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);
            client.readFailures = 0;
            commitPages(db, PS, 2, 20); // same commit size, other content
            expected = readAll(db);

            SyncOutcome o = db.syncOnce(clock.instant());

            assertThat(o.status()).as("%s", o).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(o.txid()).isEqualTo(2);
            assertReplicaHolds(db);
            commitPages(db, PS, 3, 30);
            expected = readAll(db);
        }
        storage.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced());
        try (Database again = open(client)) {
            assertThat(readAll(again)).isEqualTo(expected);
        }
    }
}
