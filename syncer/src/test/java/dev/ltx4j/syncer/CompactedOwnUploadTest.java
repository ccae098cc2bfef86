package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaOutcomeUnknownException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A create whose outcome stayed unknown, whose level-0 file a compactor merged into level 1 and retention deleted
 * before the writer looked again (simulator: {@code sim --scenario compaction --faults all --seed 32}): the writer
 * proves the replica holds exactly its transaction (a file ending on that TXID with its post-apply checksum) and
 * adopts it, where it used to save its commits as a false conflict. A rival's different database at that TXID
 * stays a conflict.
 */
class CompactedOwnUploadTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient raw = new InMemoryReplicaClient();

    /** Loses the response of (or the whole) create of one TXID and fails the next read-backs of it. */
    final class Faulty extends ForwardingClient {
        long loseResponseOf = -1;
        long dropCreateOf = -1;
        long failReadsOf = -1;
        int readFailures;

        Faulty() {
            super(raw);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
            if (min == dropCreateOf) {
                dropCreateOf = -1;
                throw new ReplicaOutcomeUnknownException("create of L0/" + min + " timed out (not landed)");
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
            if (level == 0 && min == failReadsOf && readFailures > 0) {
                readFailures--;
                throw new ReplicaTransientException("simulated 503 reading L0/" + min);
            }
            return super.openFile(level, min, max, offset, length);
        }
    }

    Database open(ReplicaClient client, MemoryLogStorage storage, String dir, long nodeId) throws Exception {
        return Database.open(client, "app.db", Kit.writer(storage, tmp.resolve(dir), clock, nodeId)
                .clock(Kit.advancing(clock)).build());
    }

    /** A compactor merges L0/1..L0/2 into L1 and retention deletes the level-0 files. */
    private void compactAndDeleteLevelZero() throws Exception {
        ReadersSurviveCompactionTest.compact(raw, 0, 1, 2, 1);
        raw.deleteFiles(raw.listFiles(0, 0, false));
        assertThat(raw.listFiles(0, 0, false)).isEmpty();
    }

    @Test
    void ownUploadCompactedAndDeletedBeforeTheRetryIsAdoptedNotAConflict() throws Exception {
        Faulty client = new Faulty();
        try (Database db = open(client, new MemoryLogStorage(), "conflicts", 7)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 20);
            client.loseResponseOf = 2; // lands, but the writer does not learn it
            client.failReadsOf = 2;
            client.readFailures = 1; // and the read-back fails: outcome unknown

            SyncOutcome failed = db.syncOnce(clock.instant());
            assertThat(failed.status()).as("%s", failed).isEqualTo(SyncOutcome.Status.FAILED);

            compactAndDeleteLevelZero();
            commitPages(db, PS, 3, 30); // more commits before the retry
            SyncOutcome retried = db.syncOnce(clock.instant());

            assertThat(retried.status()).as("%s", retried).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(db.status().conflict()).isNull();
            assertThat(retried.txid()).isEqualTo(3);
            assertThat(db.status().pendingCommits()).isZero();
            assertThat(raw.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(3L);
            assertThat(restore(raw, 0, tmp)).isEqualTo(readAll(db));
        }
    }

    @Test
    void aRivalsDifferentDatabaseAtTheSameTxidStaysAConflictAfterCompaction() throws Exception {
        Faulty client = new Faulty();
        try (Database db = open(client, new MemoryLogStorage(), "conflicts", 7)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 20);
            client.dropCreateOf = 2; // never lands
            client.failReadsOf = 2;
            client.readFailures = 1;
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);

            // A rival writer (checksummed, same base, same page count, other content) lands TXID 2.
            InMemoryReplicaClient rivalReplica = new InMemoryReplicaClient();
            rivalReplica.createFile(0, 1, 1, LtxBody.of(raw.openFile(0, 1, 1, 0, 0).readAllBytes()));
            try (Database rival = open(rivalReplica, new MemoryLogStorage(), "rival-conflicts", 8)) {
                commitPages(rival, PS, 2, 99);
                assertThat(rival.syncOnce(clock.instant()).txid()).isEqualTo(2);
            }
            raw.createFile(0, 2, 2, LtxBody.of(rivalReplica.openFile(0, 2, 2, 0, 0).readAllBytes()));
            compactAndDeleteLevelZero();

            SyncOutcome o = db.syncOnce(clock.instant());

            assertThat(o.status()).as("%s", o).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(db.status().conflict()).isNotNull();
        }
    }
}
