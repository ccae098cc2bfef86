package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
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
 * A writer's create of L0/N lost its response and its read-back failed (outcome unknown); the process crashed,
 * losing the unforced commit the file held, and reopened while the listing did not show L0/N yet, so it stayed on
 * base N - 1. The same changes committed again (with another page set) and more commits after them make the
 * database L0/N holds plus more: the sync adopts L0/N by its page count and post-apply checksum and uploads the rest
 * on N + 1, where it raised a false conflict (simulator: {@code sim --scenario compaction --faults all --seed 5048}).
 * A rival's different database at N stays a conflict.
 */
class RestartOwnStateTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient raw = new InMemoryReplicaClient();

    /** Loses a create's response, fails read-backs of one TXID, and hides files from listings while set. */
    final class Faulty extends ForwardingClient {
        long loseResponseOf = -1;
        long failReadsOf = -1;
        int readFailures;
        long hideFromListingFrom = Long.MAX_VALUE;

        Faulty() {
            super(raw);
        }

        @Override
        public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
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
                throw new ReplicaTransientException("simulated short read of L0/" + min);
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

    EngineOptions options(long nodeId, String conflicts, MemoryLogStorage buffer) {
        return Kit.writer(buffer, tmp.resolve(conflicts), clock, nodeId).durability(Durability.NONE)
                .clock(Kit.advancing(clock)).build();
    }

    /**
     * Base TXID 1 synced; a commit of pages 2 and 3 lands as L0/2 with its outcome unknown; the crash loses that
     * commit; the reopen's listing does not show L0/2. Returns the reopened database (base 1, nothing pending).
     */
    private Database crashAfterAnUnknownCreateAndReopenBehindTheListing(Faulty client) throws Exception {
        Database db = Database.open(client, "app.db", options(7, "conflicts", storage));
        commitPages(db, PS, 1, 1, 2, 2);
        assertThat(db.syncOnce(clock.instant()).txid()).isEqualTo(1);
        commitPages(db, PS, 2, 20, 3, 30);
        client.loseResponseOf = 2;
        client.failReadsOf = 2;
        client.readFailures = 1_000; // every read-back fails: the outcome stays unknown
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);
        client.readFailures = 0;
        assertThat(raw.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(1L, 2L);
        storage.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced()); // durability NONE: the commit is gone

        client.hideFromListingFrom = 2; // the listing lags behind L0/2
        Database again = Database.open(client, "app.db", options(7, "conflicts", storage));
        assertThat(again.current().txid()).isEqualTo(1);
        assertThat(again.status().pendingCommits()).isZero();
        return again;
    }

    @Test
    void theSameStateCommittedAgainAfterACrashAdoptsTheOwnFileInsteadOfAFalseConflict() throws Exception {
        Faulty client = new Faulty();
        try (Database db = crashAfterAnUnknownCreateAndReopenBehindTheListing(client)) {
            // The same changes again, with page 1 rewritten unchanged (another page set: other bytes than L0/2), and
            // one more commit after them: the buffer holds more commits than L0/2 covers.
            commitPages(db, PS, 1, 1, 2, 20, 3, 30);
            commitPages(db, PS, 4, 40);
            client.hideFromListingFrom = Long.MAX_VALUE;

            SyncOutcome o = db.syncOnce(clock.instant());

            assertThat(o.status()).as("%s", o).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(db.status().conflict()).isNull();
            assertThat(o.txid()).isEqualTo(3);
            assertThat(db.status().pendingCommits()).isZero();
            assertThat(raw.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(1L, 2L, 3L);
            assertThat(restore(raw, 0, tmp)).isEqualTo(readAll(db));
        }
    }

    @Test
    void anotherStateAtTheSameTxidAfterTheRestartStaysAConflict() throws Exception {
        Faulty client = new Faulty();
        try (Database db = crashAfterAnUnknownCreateAndReopenBehindTheListing(client)) {
            // Other content in the same pages (same page count, checksummed): not the database L0/2 holds.
            commitPages(db, PS, 1, 1, 2, 21, 3, 30);
            client.hideFromListingFrom = Long.MAX_VALUE;

            SyncOutcome o = db.syncOnce(clock.instant());

            assertThat(o.status()).as("%s", o).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(db.status().conflict()).isNotNull();
            assertThat(raw.listFiles(0, 0, false)).extracting(LtxFileInfo::minTxid).containsExactly(1L, 2L);
        }
    }

    @Test
    void aRivalsDifferentDatabaseAtTheSameTxidAfterARestartStaysAConflict() throws Exception {
        Faulty client = new Faulty();
        Database db = Database.open(client, "app.db", options(7, "conflicts", storage));
        commitPages(db, PS, 1, 1, 2, 2);
        assertThat(db.syncOnce(clock.instant()).txid()).isEqualTo(1);
        // A rival writer (checksummed, same base, same page count, other content) lands TXID 2.
        InMemoryReplicaClient rivalReplica = new InMemoryReplicaClient();
        rivalReplica.createFile(0, 1, 1, LtxBody.of(raw.openFile(0, 1, 1, 0, 0).readAllBytes()));
        try (Database rival = Database.open(rivalReplica, "app.db",
                options(8, "rival-conflicts", new MemoryLogStorage()))) {
            commitPages(rival, PS, 2, 99, 3, 30);
            assertThat(rival.syncOnce(clock.instant()).txid()).isEqualTo(2);
        }
        raw.createFile(0, 2, 2, LtxBody.of(rivalReplica.openFile(0, 2, 2, 0, 0).readAllBytes()));
        client.hideFromListingFrom = 2;
        storage.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced());
        try (Database again = Database.open(client, "app.db", options(7, "conflicts", storage))) {
            assertThat(again.current().txid()).isEqualTo(1);
            commitPages(again, PS, 2, 20, 3, 30);
            client.hideFromListingFrom = Long.MAX_VALUE;

            SyncOutcome o = again.syncOnce(clock.instant());

            assertThat(o.status()).as("%s", o).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(again.status().conflict()).isNotNull();
        }
    }

    /**
     * A rival's level-0 file at base + 1 that happens to make the same database is still the rival's commit: the
     * NodeID (the buffer's writer id, which a restart keeps) says so before any prefix is computed, so a real conflict
     * costs no pass over the buffer.
     */
    @Test
    void aRivalsFileWithTheSameDatabaseStaysAConflictWithoutAPrefixSearch() throws Exception {
        Faulty client = new Faulty();
        Database db = Database.open(client, "app.db", options(7, "conflicts", storage));
        commitPages(db, PS, 1, 1, 2, 2);
        assertThat(db.syncOnce(clock.instant()).txid()).isEqualTo(1);
        InMemoryReplicaClient rivalReplica = new InMemoryReplicaClient();
        rivalReplica.createFile(0, 1, 1, LtxBody.of(raw.openFile(0, 1, 1, 0, 0).readAllBytes()));
        try (Database rival = Database.open(rivalReplica, "app.db",
                options(8, "rival-conflicts", new MemoryLogStorage()))) {
            commitPages(rival, PS, 2, 20, 3, 30);
            assertThat(rival.syncOnce(clock.instant()).txid()).isEqualTo(2);
        }
        raw.createFile(0, 2, 2, LtxBody.of(rivalReplica.openFile(0, 2, 2, 0, 0).readAllBytes()));
        client.hideFromListingFrom = 2;
        storage.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced());
        try (Database again = Database.open(client, "app.db", options(7, "conflicts", storage))) {
            assertThat(again.current().txid()).isEqualTo(1);
            commitPages(again, PS, 1, 1, 2, 20, 3, 30); // the rival's database, another page set
            client.hideFromListingFrom = Long.MAX_VALUE;

            SyncOutcome o = again.syncOnce(clock.instant());

            assertThat(o.status()).as("%s", o).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(again.status().conflict()).isNotNull();
        }
    }
}
