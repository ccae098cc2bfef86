package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.compaction.CompactionStatus;
import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A replica whose TXIDs pass 2^32, 2^63 (a negative Java long) and approach the top of the 16-hex-digit key space
 * (LTX TXIDs are unsigned 64-bit; docs/compaction.md "TXIDs are unsigned"): a writer continuing it syncs, compacts,
 * snapshots and applies retention exactly as at small TXIDs, and a follower and a second writer read it.
 */
class HighTxidTest {
    static final int PS = 4096;
    static final CompactionSettings SHORT = Kit.SHORT_COMPACTION;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    /** A Litestream-like snapshot [1, base] of a 4-page database, as a replica written for a long time would hold. */
    private void snapshotAt(long base) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, PS, 4, 1, base,
                1_600_000_000_000L, 0).withNodeId(99));
        for (int p = 1; p <= 4; p++) {
            enc.writePage(p, p == 1 ? Kit.page1(PS, 1) : Kit.page(PS, p), 0);
        }
        enc.finish(0);
        replica.createFile(9, 1, base, LtxBody.of(out.toByteArray()));
    }

    private Database writer(String conflicts, long seed) throws Exception {
        return Kit.compactingWriter(replica, tmp.resolve(conflicts), clock, seed, SHORT);
    }

    @ParameterizedTest
    @ValueSource(longs = {0xFFFF_FFF0L, 0x7FFF_FFFF_FFFF_FFF0L, 0xFFFF_FFFF_FFFF_FF00L})
    void aWriterPastTheSignedRangeCompactsSnapshotsAndAppliesRetention(long base) throws Exception {
        snapshotAt(base);
        Map<Long, byte[]> committed = new HashMap<>();
        try (Database w = writer("c", 7)) {
            assertThat(w.current().txid()).isEqualTo(base);
            for (int i = 1; i <= 40; i++) {
                commitPages(w, PS, 1, i, 2 + i % 3, i);
                SyncOutcome o = w.syncOnce(clock.instant());
                assertThat(o.status()).as("sync %d: %s", i, o).isEqualTo(SyncOutcome.Status.SYNCED);
                committed.put(w.current().txid(), readAll(w));
                clock.advance(Duration.ofMillis(500));
                w.compactOnce(clock.instant());
            }
            for (int i = 0; i < 12; i++) { // idle: retention deletes what the snapshots cover
                clock.advance(Duration.ofSeconds(1));
                w.compactOnce(clock.instant());
            }
            CompactionStatus st = w.status().compaction();
            assertThat(st.retention().lastError()).isNull();
            assertThat(st.retention().filesDeleted()).isPositive();
            // Before: across 2^63 the snapshots stopped below it and retention refused ("the latest TXID
            // 7fffffffffffffff is not restorable ... (a gap)"); above it every L1/L2 output restarted at base + 1.
            assertThat(replica.listFiles(9, 0, false)).extracting(LtxFileInfo::maxTxid).containsExactly(base + 40);
            for (int level = 1; level <= 2; level++) {
                assertThat(replica.listFiles(level, 0, false)).as("level %d", level).hasSize(1);
            }
            assertThat(w.current().txid()).isEqualTo(base + 40);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(w));
        }
        try (Database r = Database.open(replica, "app.db", Kit.reader(clock).build())) {
            assertThat(r.current().txid()).isEqualTo(base + 40);
            assertThat(readAll(r)).isEqualTo(committed.get(base + 40));
        }
        try (Database w = writer("c2", 8)) {
            assertThat(readAll(w)).isEqualTo(committed.get(base + 40));
            commitPages(w, PS, 1, 99);
            assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(w.current().txid()).isEqualTo(base + 41);
        }
    }

    @Test
    void aFollowerPollsAcrossTheSignedBoundaryAndTimeTravelsBack() throws Exception {
        long base = 0x7FFF_FFFF_FFFF_FFFEL;
        snapshotAt(base);
        Map<Long, byte[]> committed = new HashMap<>();
        try (Database w = writer("c", 7); Database r = Database.open(replica, "app.db", Kit.reader(clock).build())) {
            assertThat(r.current().txid()).isEqualTo(base);
            for (int i = 1; i <= 5; i++) {
                clock.advance(Duration.ofSeconds(1));
                commitPages(w, PS, 1, i, 2, i);
                assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
                committed.put(w.current().txid(), readAll(w));
                r.pollOnce(clock.instant());
                assertThat(r.current().txid()).as("poll %d", i).isEqualTo(w.current().txid());
                assertThat(readAll(r)).isEqualTo(committed.get(w.current().txid()));
            }
            // Time travel to the state just below 2^63 and to the one above it.
            for (long txid : new long[] {base + 1, base + 3}) {
                java.time.Instant at = r.timeTravel().commitTime(txid).orElseThrow();
                PointInTime p = r.timeTravel().resolve(at, clock.instant());
                try (ReadTransaction t = r.timeTravel().beginRead(p)) {
                    byte[] out = new byte[(int) t.sizeBytes()];
                    t.read(0, out, 0, out.length);
                    assertThat(out).as("state at %s", Long.toHexString(txid)).isEqualTo(committed.get(txid));
                }
            }
        }
    }

    @Test
    void theLastTxidRefusesFurtherSyncsNamingIt() throws Exception {
        snapshotAt(0xFFFF_FFFF_FFFF_FFFEL);
        Database w = Database.open(replica, "app.db", Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 7)
                .cacheBytes(0).closeTimeout(Duration.ofMillis(100)).build());
        commitPages(w, PS, 1, 5);
        assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        assertThat(w.current().txid()).isEqualTo(-1L);
        commitPages(w, PS, 2, 6);
        SyncOutcome o = w.syncOnce(clock.instant());
        // Before: "LTX file 0000000000000000-0000000000000000.ltx: header.minTxid: minimum transaction id required"
        assertThat(o.status()).isEqualTo(SyncOutcome.Status.FAILED);
        assertThat(w.status().lastError()).contains("ffffffffffffffff", "the last 16-hex-digit TXID",
                "database \"app.db\"", "write it to a new replica");
        assertThat(replica.listFiles(0, 0, false)).extracting(LtxFileInfo::maxTxid).containsExactly(-1L);
        assertThatThrownBy(w::close).hasMessageContaining("1 unsynced transaction(s) kept");
    }
}
