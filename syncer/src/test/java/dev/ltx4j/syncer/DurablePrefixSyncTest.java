package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.BufferFailedException;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failed fsync stops the write buffer; the sync still uploads the transactions acknowledged as durable before it
 * (their commits' force succeeded) and never the one whose commit failed, and a reopen adopts that upload as this
 * writer's own (docs/write-buffer-recovery.md, "After a failed fsync"). Before, the sync refused the whole buffer
 * until the process reopened it.
 */
class DurablePrefixSyncTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();
    final MemoryLogStorage storage = new MemoryLogStorage();

    EngineOptions.Builder opts() {
        return Kit.writer(storage, tmp.resolve("conflicts"), clock, 11);
    }

    /** Synced TXID 1 (two commits), then two durable commits, then one whose fsync fails: returns the durable state. */
    private byte[] stopAfterDurableCommits(Database db) throws IOException {
        commitPages(db, PS, 1, 1, 2, 2);
        commitPages(db, PS, 3, 3);
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        commitPages(db, PS, 2, 22);
        commitPages(db, PS, 4, 4);
        byte[] durable = readAll(db);
        storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.FORCE);
        assertThatThrownBy(() -> commitPages(db, PS, 1, 99, 5, 5)).isInstanceOf(BufferFailedException.class)
                .hasMessageContaining("fsync failed");
        storage.setFaults((op, name) -> false); // a retried fsync would "succeed" now: nothing may retry it
        return durable;
    }

    @Test
    void aStoppedBufferUploadsItsDurablePrefixAndNotTheFailedCommit() throws Exception {
        Database db = Database.open(replica, "app.db", opts().build());
        try {
            byte[] durable = stopAfterDurableCommits(db);
            assertThat(db.status().pendingCommits()).as("the two durable commits; not the failed one").isEqualTo(2);

            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).as("%s", o.error()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(o.txid()).isEqualTo(2);
            assertThat(restore(replica, 0, tmp)).as("the replica holds the durable commits, not the failed one")
                    .isEqualTo(durable);
            assertThat(readAll(db)).isEqualTo(durable);

            DatabaseStatus s = db.status();
            assertThat(s.txid()).isEqualTo(2);
            assertThat(s.pendingCommits()).as("all that was committed is on the replica").isZero();
            assertThat(db.metrics().pendingCommits()).isZero();
            assertThat(s.lastError()).contains("stopped after an I/O failure").contains("uploaded through 4")
                    .contains("1 transaction(s) after them failed their commit").contains("PRAGMA litestream_refresh");
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.NOTHING_TO_SYNC);
            assertThat(replica.listFiles(0, 0, false)).hasSize(2);
            assertThatThrownBy(() -> commitPages(db, PS, 6, 6)).as("writes stay refused")
                    .isInstanceOf(BufferFailedException.class);
        } finally {
            closeQuietly(db); // close forces the stopped buffer: refused; the buffer stays as it is
        }
    }

    /**
     * A transaction larger than the commit staging (1 MiB) writes part of its records before its commit record; a
     * write failure then stops the buffer. The sync uploads the last acknowledged commit's state (the simulator found
     * this with a 64 KiB staging: engine seed 8580921506292038823 on host-rest's ea093554).
     */
    @Test
    void aWriteFailureInsideATransactionLargerThanTheStagingStopsTheBufferOnTheDurablePrefix() throws Exception {
        Database db = Database.open(replica, "app.db", opts().build());
        try {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 22, 3, 3);
            byte[] durable = readAll(db);
            java.util.SplittableRandom random = new java.util.SplittableRandom(5);
            int[] writes = {0};
            storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.WRITE && ++writes[0] == 2);
            assertThatThrownBy(() -> {
                try (WriteSession s = db.beginWrite()) {
                    for (int p = 1; p <= 400; p++) { // 400 incompressible 4 KiB pages: 1.6 MiB, over the staging
                        byte[] image = p == 1 ? Kit.page1(PS, 9) : new byte[PS];
                        if (p > 1) {
                            random.nextBytes(image);
                        }
                        s.write((long) (p - 1) * PS, image, 0, PS);
                    }
                    s.commit();
                }
            }).isInstanceOf(BufferFailedException.class);
            storage.setFaults((op, name) -> false);
            assertThat(writes[0]).as("part of the transaction was written before the failure").isEqualTo(2);
            assertThat(readAll(db)).as("the reader's state").isEqualTo(durable);
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).as("%s", o.error()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(o.txid()).isEqualTo(2);
            assertThat(restore(replica, 0, tmp)).as("the replica holds the last acknowledged commit").isEqualTo(durable);
        } finally {
            closeQuietly(db);
        }
    }

    @Test
    void aReopenAdoptsTheUploadedPrefixAsItsOwnAfterTheDiskLostTheFailedCommit() throws Exception {
        byte[] durable;
        Database db = Database.open(replica, "app.db", opts().build());
        try {
            durable = stopAfterDurableCommits(db);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        } finally {
            closeQuietly(db);
        }
        storage.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced()); // the failed fsync's data never landed
        try (Database again = Database.open(replica, "app.db", opts().build())) {
            DatabaseStatus s = again.status();
            assertThat(s.conflict()).as("its own upload, not a rival's").isNull();
            assertThat(s.txid()).isEqualTo(2);
            assertThat(s.pendingCommits()).isZero();
            assertThat(readAll(again)).isEqualTo(durable);
            commitPages(again, PS, 6, 6);
            assertThat(again.syncOnce(clock.instant()).txid()).isEqualTo(3);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(again));
        }
    }

    @Test
    void aReopenAdoptsTheUploadedPrefixAfterCompactionFoldedItsLevelZeroFileAway() throws Exception {
        // The in-memory trim lasts as long as the connection; meanwhile compaction folds L0/2 into L1 and retention
        // deletes it. The file still has base 1: the reopen must prove the upload by its state, not see a conflict.
        byte[] durable;
        Database db = Database.open(replica, "app.db", opts().build());
        try {
            durable = stopAfterDurableCommits(db);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        } finally {
            closeQuietly(db);
        }
        byte[] l0 = replica.readRange(0, 2, 2, 0, 0); // to the end
        replica.createFile(1, 2, 2, dev.ltx4j.replica.LtxBody.of(l0));
        replica.deleteFiles(replica.listFiles(0, 2, false).stream().filter(f -> f.minTxid() == 2).toList());
        storage.crash(MemoryLogStorage.CrashPolicy.loseAllUnforced());
        try (Database again = Database.open(replica, "app.db", opts().build())) {
            DatabaseStatus s = again.status();
            assertThat(s.conflict()).as("its own upload, compacted, not a rival's").isNull();
            assertThat(s.txid()).isEqualTo(2);
            assertThat(s.pendingCommits()).isZero();
            assertThat(readAll(again)).isEqualTo(durable);
            commitPages(again, PS, 6, 6);
            assertThat(again.syncOnce(clock.instant()).txid()).isEqualTo(3);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(again));
        }
    }

    /**
     * {@link Database#unsyncableCommits()} before the sync that uploads the durable prefix: those commits are in a
     * sync's reach, so nothing is unsyncable (it counted every pending commit, right only after a NOTHING_TO_SYNC).
     */
    @Test
    void durableCommitsOfAStoppedBufferAreNotUnsyncableBeforeTheSyncUploadsThem() throws Exception {
        Database db = Database.open(replica, "app.db", opts().build());
        try {
            stopAfterDurableCommits(db);
            assertThat(db.status().pendingCommits()).isEqualTo(2);
            assertThat(db.unsyncableCommits()).as("the two durable commits are a sync's to upload").isNull();
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(db.unsyncableCommits()).isNull();
        } finally {
            closeQuietly(db);
        }
    }

    @Test
    void withDurabilityNoneAStoppedBufferSyncsOnlyWhatWasForced() throws Exception {
        // Durability none publishes commits unforced: the round must not ask the stopped buffer for them.
        Database db = Database.open(replica, "app.db", opts().durability(dev.ltx4j.pagestore.Durability.NONE).build());
        try {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 3, 3); // published, never forced
            storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.WRITE);
            assertThatThrownBy(() -> commitPages(db, PS, 4, 4)).isInstanceOf(IOException.class);
            storage.setFaults((op, name) -> false);
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).as("%s", o.error()).isEqualTo(SyncOutcome.Status.NOTHING_TO_SYNC);
            assertThat(replica.listFiles(0, 0, false)).hasSize(1);
            // NOTHING_TO_SYNC: nothing this process may upload is left; the status says what remains and why.
            assertThat(db.status().pendingCommits()).as("the unforced commit that succeeded").isEqualTo(1);
            assertThat(db.status().lastError()).contains("stopped after an I/O failure")
                    .contains("1 transaction(s) after them were never forced (durability none)");
            assertThat(db.unsyncableCommits()).isInstanceOf(BufferFailedException.class)
                    .hasMessageContaining("1 committed transaction(s) of database \"app.db\" are not on the replica")
                    .hasMessageContaining("were never forced (durability none)");
        } finally {
            closeQuietly(db);
        }
    }

    /**
     * The same stopped durability-none buffer, closed: the final sync has NOTHING_TO_SYNC, and the close returned
     * normally with no WARN though a commit that succeeded stayed off the replica. A close never keeps commits
     * silently: it fails naming them and the buffer, and WARNs.
     */
    @Test
    void withDurabilityNoneACloseOfAStoppedBufferSaysItKeepsTheUnforcedCommits() throws Exception {
        Database db = Database.open(replica, "app.db", opts().durability(dev.ltx4j.pagestore.Durability.NONE).build());
        commitPages(db, PS, 1, 1, 2, 2);
        assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        commitPages(db, PS, 3, 3); // published, never forced
        storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.WRITE);
        assertThatThrownBy(() -> commitPages(db, PS, 4, 4)).isInstanceOf(IOException.class);
        storage.setFaults((op, name) -> false);
        CapturedLogs.clear();
        assertThatThrownBy(db::close).isInstanceOf(SyncFailedException.class)
                .hasMessageContaining("close of database \"app.db\" failed with 1 unsynced transaction(s) kept in")
                .hasMessageContaining("never forced (durability none)");
        assertThat(CapturedLogs.lines()).filteredOn(l -> l.startsWith("WARN") && l.contains("closed with"))
                .singleElement().asString()
                .contains("1 committed transaction(s) not on the replica", "stopped after an I/O failure",
                        "1 unforced commit(s) are uploaded only after a reopen");
        assertThat(replica.listFiles(0, 0, false)).hasSize(1);
    }

    @Test
    void aReopenThatRecoversTheFailedCommitKeepsItPendingWithoutAConflict() throws Exception {
        Database db = Database.open(replica, "app.db", opts().build());
        try {
            stopAfterDurableCommits(db);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        } finally {
            closeQuietly(db);
        }
        // The failed commit's record reached the file after all (an fsync failure is an unknown outcome, as in
        // SQLite's WAL): recovery keeps it, on top of the adopted upload.
        try (Database again = Database.open(replica, "app.db", opts().build())) {
            DatabaseStatus s = again.status();
            assertThat(s.conflict()).isNull();
            assertThat(s.pendingCommits()).isEqualTo(1);
            assertThat(again.syncOnce(clock.instant()).txid()).isEqualTo(3);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(again));
        }
    }

    @Test
    void aBufferThatStopsInsideTheTrimAfterAnUploadUploadsNothingMore() throws Exception {
        // The trim's rename lands, its directory sync fails: the buffer stops on the new base. A stopped buffer's
        // sync must neither upload its transactions again nor an empty transaction on top (simulator compaction 102).
        byte[] state;
        Database db = Database.open(replica, "app.db", opts().build());
        try {
            commitPages(db, PS, 1, 1, 2, 2);
            commitPages(db, PS, 2, 3);
            state = readAll(db);
            storage.setFaults((op, name) -> op == MemoryLogStorage.Operation.SYNC_DIRECTORY);
            SyncOutcome first = db.syncOnce(clock.instant());
            storage.setFaults((op, name) -> false);
            assertThat(first.status()).isEqualTo(SyncOutcome.Status.FAILED);
            assertThat(first.error()).hasMessageContaining("directory sync");
            for (int i = 0; i < 3; i++) {
                assertThat(db.syncOnce(clock.instant()).status()).isNotEqualTo(SyncOutcome.Status.SYNCED);
            }
            assertThat(replica.listFiles(0, 0, false)).hasSize(1);
            assertThat(restore(replica, 0, tmp)).isEqualTo(state);
        } finally {
            closeQuietly(db);
        }
        try (Database again = Database.open(replica, "app.db", opts().build())) {
            assertThat(again.status().conflict()).isNull();
            assertThat(again.status().txid()).isEqualTo(1);
            assertThat(again.status().pendingCommits()).isZero();
            assertThat(readAll(again)).isEqualTo(state);
        }
    }

    private static void closeQuietly(Database db) {
        try {
            db.close();
        } catch (IOException | RuntimeException e) {
            // the stopped buffer refuses close's force; its lock is released all the same
        }
    }
}
