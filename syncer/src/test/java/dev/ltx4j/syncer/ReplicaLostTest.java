package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.file.FileReplicaClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica deleted or emptied under a running writer (docs/field-probes.md, "Replica lost under a running
 * writer"): the next sync must not upload a file on a base nobody holds any more (restore and every open would
 * fail with "no files qualify"), but refuse, conflicted, with the commits saved and a typed error.
 */
class ReplicaLostTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final MemoryLogStorage storage = new MemoryLogStorage();

    Database open(ReplicaClient client, EngineFaults faults) throws Exception {
        return Database.open(client, "app.db", Kit.writer(storage, tmp.resolve("conflicts"), clock, 7)
                .clock(Kit.monotonic(clock)).compaction(CompactionSettings.off()).faults(faults).build());
    }

    static List<LtxFileInfo> everyFile(ReplicaClient c) throws ReplicaException {
        List<LtxFileInfo> all = new ArrayList<>();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            all.addAll(c.listFiles(level, 0, false));
        }
        return all;
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void aDeletedFileReplicaRefusesTheSyncAndKeepsTheCommits() throws Exception {
        Path dir = tmp.resolve("replica");
        ReplicaClient client = new FileReplicaClient(dir, clock);
        try (Database db = open(client, EngineFaults.NONE)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            deleteTree(dir); // rm -rf under the running writer
            commitPages(db, PS, 2, 20);
            SyncOutcome first = db.syncOnce(clock.instant());
            assertThat(first.status()).isEqualTo(SyncOutcome.Status.FAILED);
            assertThat(first.error()).hasMessageContaining("upload withheld");
            assertThat(everyFile(client)).as("nothing unrestorable uploaded while unconfirmed").isEmpty();
            clock.advance(LostBaseCheck.CONFIRM_AFTER);
            SyncOutcome o = db.syncOnce(clock.instant());

            assertThat(o.status()).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(o.error()).isInstanceOf(ReplicaLostException.class)
                    .hasMessageContaining("lost TXID 0000000000000001")
                    .hasMessageContaining("lists no LTX file at all")
                    .hasMessageContaining("saved to");
            assertThat(everyFile(client)).as("nothing unrestorable uploaded").isEmpty();
            DatabaseStatus st = db.status();
            assertThat(st.lastError()).contains("lost TXID 0000000000000001").contains("replica");
            assertThat(st.conflict()).isNotNull();
            assertThat(st.conflict().pendingCommits()).isEqualTo(1);
            assertThat(st.conflict().savedTo()).exists();
            assertThatThrownBy(db::beginWrite).isInstanceOf(ConflictException.class);
            // Sticky: a later sync uploads nothing either, and still says why.
            SyncOutcome later = db.syncOnce(clock.instant());
            assertThat(later.status()).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(later.error()).isInstanceOf(ReplicaLostException.class).hasMessageContaining("lost TXID");
            assertThat(everyFile(client)).isEmpty();
        }
    }

    /**
     * The confirm window is monotonic time: a forward step of the wall clock (an NTP step) inside it must not make a
     * lagging listing a lost replica at once (it was measured on the wall clock).
     */
    @Test
    void aForwardWallClockStepDoesNotShortenTheConfirmWindow() throws Exception {
        Path dir = tmp.resolve("replica");
        ReplicaClient client = new FileReplicaClient(dir, clock);
        try (Database db = open(client, EngineFaults.NONE)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            deleteTree(dir);
            commitPages(db, PS, 2, 20);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);
            clock.stepWall(java.time.Duration.ofHours(1));
            SyncOutcome stepped = db.syncOnce(clock.instant());
            assertThat(stepped.status()).as("still inside the window: withheld, not refused")
                    .isEqualTo(SyncOutcome.Status.FAILED);
            assertThat(stepped.error()).hasMessageContaining("upload withheld");
            assertThat(db.status().conflict()).isNull();
            clock.advance(LostBaseCheck.CONFIRM_AFTER);
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.status()).isEqualTo(SyncOutcome.Status.CONFLICT);
            assertThat(o.error()).isInstanceOf(ReplicaLostException.class);
            assertThat(everyFile(client)).isEmpty();
        }
    }

    @Test
    void aReplicaEndingBelowTheBaseIsLostToo() throws Exception {
        Path dir = tmp.resolve("replica");
        ReplicaClient client = new FileReplicaClient(dir, clock);
        try (Database db = open(client, EngineFaults.NONE)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 20);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            client.deleteFiles(List.of(everyFile(client).stream().filter(f -> f.maxTxid() == 2).findFirst().get()));
            commitPages(db, PS, 1, 30);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);
            clock.advance(LostBaseCheck.CONFIRM_AFTER);
            SyncOutcome o = db.syncOnce(clock.instant());
            assertThat(o.error()).isInstanceOf(ReplicaLostException.class)
                    .hasMessageContaining("newest file ends at TXID 0000000000000001");
            assertThat(everyFile(client)).extracting(LtxFileInfo::maxTxid).containsExactly(1L);
        }
    }

    /** Before the fix (the simulator's ignore-lost-replica): the sync "succeeds" and nothing restores any more. */
    @Test
    void withTheBugSwitchTheSyncUploadsAnUnrestorableFile() throws Exception {
        Path dir = tmp.resolve("replica");
        ReplicaClient client = new FileReplicaClient(dir, clock);
        try (Database db = open(client, EngineFaults.builder().ignoreLostReplica(true).build())) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            deleteTree(dir);
            commitPages(db, PS, 2, 20);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(everyFile(client)).extracting(LtxFileInfo::minTxid).containsExactly(2L);
            assertThatThrownBy(() -> restore(client, 0, tmp)).hasMessageContaining("qualify");
        }
    }

    /** The base's L0 file compacted into level 1 and deleted: the replica still holds the base. */
    @Test
    void aBaseCompactedAwayFromLevelZeroIsHeld() throws Exception {
        Path dir = tmp.resolve("replica");
        ReplicaClient client = new FileReplicaClient(dir, clock);
        try (Database db = open(client, EngineFaults.NONE)) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 20);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            LtxFileInfo l0 = client.listFiles(0, 2, false).get(0);
            client.createFile(1, 2, 2, LtxBody.of(client.readRange(0, 2, 2, 0, 0)));
            client.deleteFiles(List.of(l0));
            commitPages(db, PS, 1, 30);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            byte[] restored = restore(client, 0, tmp);
            assertThat(restored).hasSize(2 * PS);
        }
    }

    /**
     * The base's L0 file compacted into a level-1 file the listing does not show yet, and deleted: the upload is
     * withheld (a transient failure), not refused, and goes ahead once the listing catches up.
     */
    @Test
    void aCompactedBaseALaggingListingHidesIsWaitedFor() throws Exception {
        Path dir = tmp.resolve("replica");
        ReplicaClient raw = new FileReplicaClient(dir, clock);
        boolean[] lag = {false};
        ReplicaClient lagging = new ForwardingClient(raw) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                return lag[0] && level == 1 ? List.of() : super.listFiles(level, seek, meta);
            }
        };
        try (Database db = open(lagging, EngineFaults.NONE)) {
            commitPages(db, PS, 1, 1, 2, 2);
            db.syncOnce(clock.instant());
            commitPages(db, PS, 2, 20);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            lag[0] = true;
            raw.createFile(1, 2, 2, LtxBody.of(raw.readRange(0, 2, 2, 0, 0)));
            raw.deleteFiles(List.of(raw.listFiles(0, 2, false).get(0)));
            commitPages(db, PS, 1, 30);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.FAILED);
            clock.advance(LostBaseCheck.CONFIRM_AFTER.dividedBy(2));
            lag[0] = false; // the listing caught up
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(db.status().conflict()).isNull();
            assertThat(restore(raw, 0, tmp)).hasSize(2 * PS);
        }
    }

    /** A listing that lags behind the writer's newest upload is not a lost replica: the base's file reads. */
    @Test
    void aListingThatLagsBehindTheOwnUploadIsNotALoss() throws Exception {
        Path dir = tmp.resolve("replica");
        ReplicaClient raw = new FileReplicaClient(dir, clock);
        boolean[] lag = {false};
        ReplicaClient lagging = new ForwardingClient(raw) {
            @Override
            public List<LtxFileInfo> listFiles(int level, long seek, boolean meta) throws ReplicaException {
                return lag[0] ? List.of() : super.listFiles(level, seek, meta);
            }
        };
        try (Database db = open(lagging, EngineFaults.NONE)) {
            commitPages(db, PS, 1, 1, 2, 2);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            lag[0] = true; // the store lists nothing yet, though L0/1 is there
            commitPages(db, PS, 2, 20);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            lag[0] = false;
            assertThat(everyFile(raw)).extracting(LtxFileInfo::maxTxid).containsExactly(1L, 2L);
            assertThat(restore(raw, 0, tmp)).isNotEmpty();
        }
    }
}
