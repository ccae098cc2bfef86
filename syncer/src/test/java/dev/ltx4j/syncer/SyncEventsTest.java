package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What syncs log through SLF4J and count in {@link Database#metrics()}. */
class SyncEventsTest {
    static final int PS = 4096;
    static final String LOGGER = "dev.ltx4j.syncer.Database";

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    Database open(ReplicaClient client) throws Exception {
        return Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 42).build());
    }

    @BeforeEach
    void forget() {
        CapturedLogs.clear();
    }

    static List<String> ours() {
        return CapturedLogs.lines().stream().filter(l -> l.contains("\"app.db\"")).toList();
    }

    @Test
    void aSyncIsLoggedAtDebugWithTxidPagesAndBytesAndCounted() throws Exception {
        try (Database db = open(replica)) {
            commitPages(db, PS, 1, 1, 2, 2);
            commitPages(db, PS, 2, 3);
            EngineMetrics before = db.metrics();
            assertThat(before.pendingCommits()).isEqualTo(2);
            assertThat(before.pendingBytes()).isEqualTo(3L * PS); // three page records
            // The log holds them compressed (format version 2): header, three records and two commits, some bytes.
            assertThat(before.bufferBytes()).isGreaterThan(96 + 3 * 25 + 2 * 40);
            assertThat(before.syncs()).isZero();

            db.syncOnce(clock.instant());
            long size = replica.listFiles(0, 0, false).get(0).size();
            EngineMetrics m = db.metrics();
            assertThat(m.syncs()).isEqualTo(1);
            assertThat(m.syncedBytes()).isEqualTo(size);
            assertThat(m.syncedPages()).isEqualTo(2);
            assertThat(m.pendingCommits()).isZero();
            assertThat(m.pendingBytes()).isZero();
            assertThat(m.lagMillis()).isZero();
            assertThat(ours()).containsExactly("DEBUG " + LOGGER + " database \"app.db\": synced TXID 0000000000000001"
                    + " (2 pages, " + size + " bytes) in 0 ms");
        }
    }

    @Test
    void aFailureStreakWarnsOnceAndSaysWhenItEnds() throws Exception {
        AtomicInteger failuresLeft = new AtomicInteger(3);
        ReplicaClient flaky = new ForwardingClient(replica) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                if (failuresLeft.getAndDecrement() > 0) {
                    throw new ReplicaTransientException("bucket unreachable");
                }
                return super.createFile(level, min, max, body);
            }
        };
        try (Database db = open(flaky)) {
            commitPages(db, PS, 1, 1);
            for (int i = 0; i < 4; i++) {
                db.syncOnce(clock.instant());
            }
            assertThat(db.metrics().syncFailures()).isEqualTo(3);
            assertThat(db.metrics().syncs()).isEqualTo(1);
            List<String> lines = ours();
            assertThat(lines).filteredOn(l -> l.startsWith("WARN ")).singleElement().asString()
                    .contains("sync of TXID 0000000000000001 (1 unsynced transaction(s) on the replica's TXID"
                            + " 0000000000000000) failed", "bucket unreachable");
            assertThat(lines).filteredOn(l -> l.startsWith("DEBUG ") && l.contains("failed again")).hasSize(2);
            assertThat(lines).filteredOn(l -> l.startsWith("INFO ")).singleElement().asString()
                    .contains("sync succeeded again after 3 failed attempt(s): the replica is at TXID 0000000000000001");
        }
    }

    @Test
    void aFailureStreakNamesWhatTheSyncWasUploadingNotOnlyTheReplicasTxid() throws Exception {
        // Field probes, round 6: the first warning said "sync on TXID <replica's> failed".
        AtomicInteger failuresLeft = new AtomicInteger(0);
        ReplicaClient flaky = new ForwardingClient(replica) {
            @Override
            public LtxFileInfo createFile(int level, long min, long max, LtxBody body) throws ReplicaException {
                if (failuresLeft.getAndDecrement() > 0) {
                    throw new ReplicaTransientException("bucket unreachable");
                }
                return super.createFile(level, min, max, body);
            }
        };
        try (Database db = open(flaky)) {
            for (int t = 1; t <= 4; t++) {
                commitPages(db, PS, 1, t);
                db.syncOnce(clock.instant());
            }
            CapturedLogs.clear();
            failuresLeft.set(2);
            commitPages(db, PS, 2, 7);
            commitPages(db, PS, 3, 8);
            commitPages(db, PS, 4, 9);
            for (int i = 0; i < 3; i++) {
                db.syncOnce(clock.instant());
            }
            List<String> lines = ours();
            System.out.println(lines);
            assertThat(lines).filteredOn(l -> l.startsWith("WARN ")).singleElement().asString()
                    .contains("database \"app.db\": sync of TXID 0000000000000005 (3 unsynced transaction(s) on the"
                            + " replica's TXID 0000000000000004) failed, retrying every sync interval: bucket unreachable");
            assertThat(lines).filteredOn(l -> l.startsWith("DEBUG ") && l.contains("failed again")).singleElement()
                    .asString().contains("sync of TXID 0000000000000005 (3 unsynced transaction(s) on the replica's"
                            + " TXID 0000000000000004) failed again (attempt 2)");
            assertThat(lines).filteredOn(l -> l.startsWith("INFO ")).singleElement().asString()
                    .contains("the replica is at TXID 0000000000000005");
        }
    }

    @Test
    void aConflictIsCountedAndWarnedOnce() throws Exception {
        try (Database db = open(replica)) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            Rival.append(replica, 2, PS);
            commitPages(db, PS, 2, 5);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(db.metrics().conflicts()).isEqualTo(1);
            assertThat(db.metrics().pendingCommits()).isEqualTo(1);
            assertThat(ours()).filteredOn(l -> l.startsWith("WARN ")).singleElement().asString()
                    .contains("conflict");
        }
    }
}
