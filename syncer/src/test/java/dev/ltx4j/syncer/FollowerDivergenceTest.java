package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: a read-mode follower applies a replica file only if it continues the state it holds, and notices (and
 * reloads, never mixing) when the replica was replaced, rewound or emptied; its lag says how stale it is.
 */
class FollowerDivergenceTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();
    int seed = 1;

    /** Fault points of the followers {@link #follower} opens. */
    EngineFaults faults = EngineFaults.NONE;

    Database follower() throws Exception {
        return Database.open(replica, "app.db", Kit.reader(clock).faults(faults).build());
    }

    /** A fresh writer (own buffer, own node id) that syncs {@code syncs} transactions filling pages with {@code fill}. */
    void write(int syncs, int fill, int pages) throws Exception {
        try (Database w = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c" + seed), clock, seed++).build())) {
            for (int i = 0; i < syncs; i++) {
                // The first transaction writes every page, later ones page 1 and one other page.
                int[] pf = i == 0 ? new int[pages * 2] : new int[] {1, fill + i, 2 + i % 2, fill + i};
                for (int p = 0; i == 0 && p < pages; p++) {
                    pf[2 * p] = p + 1;
                    pf[2 * p + 1] = fill;
                }
                commitPages(w, PS, pf);
                clock.advance(Duration.ofMillis(10));
                assertThat(w.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            }
        }
    }

    void deleteEverything() throws Exception {
        for (int level = 0; level <= 9; level++) {
            replica.deleteFiles(replica.listFiles(level, 0, false));
        }
    }

    void assertServesTheReplicaExactly(Database f) throws Exception {
        assertThat(sameBytes(readAll(f), restore(replica, 0, tmp))).as("follower equals a restore").isTrue();
        assertThat(f.current().txid()).isEqualTo(head());
    }

    static boolean sameBytes(byte[] a, byte[] b) {
        return java.util.Arrays.equals(a, b);
    }

    long head() throws Exception {
        long max = 0;
        for (int level = 0; level <= 9; level++) {
            for (LtxFileInfo i : replica.listFiles(level, 0, false)) {
                max = Math.max(max, i.maxTxid());
            }
        }
        return max;
    }

    @Test
    void aReplacedReplicaWithHigherTxidsIsReloadedNeverMerged() throws Exception {
        write(4, 'A', 6);
        try (Database f = follower()) {
            assertThat(f.current().txid()).isEqualTo(4);
            readAll(f); // the follower's pages are cached, as in a real follower
            deleteEverything();
            write(13, 'B', 6); // a different database, TXIDs 1..0xd, by a new writer
            PollOutcome p = f.pollOnce(clock.instant());
            assertThat(p.ok()).isTrue();
            assertServesTheReplicaExactly(f);
            DatabaseStatus s = f.status();
            assertThat(s.follower().divergence()).isNotNull();
            assertThat(s.follower().divergence().heldTxid()).isEqualTo(4);
            assertThat(s.follower().divergence().reloadedTxid()).isEqualTo(13);
            assertThat(s.follower().reloads()).isEqualTo(1);
            assertThat(s.lastError()).contains("replica_diverged").contains("0000000000000004");
            assertThat(s.toJson()).contains("\"replica_diverged\":{\"held_txid\":\"0000000000000004\"")
                    .contains("\"reloaded_txid\":\"000000000000000d\"");
        }
    }

    @Test
    void aReplicaReplacedAtTheSameTxidIsNoticedWithoutNewFiles() throws Exception {
        write(4, 'A', 6);
        try (Database f = follower()) {
            readAll(f);
            deleteEverything();
            write(4, 'B', 6);
            f.pollOnce(clock.instant());
            assertServesTheReplicaExactly(f);
            assertThat(f.status().follower().reloads()).isEqualTo(1);
        }
    }

    @Test
    void aReplicaReplacedWithALowerTxidIsDetectedAndReported() throws Exception {
        write(23, 'A', 4); // TXID 0x17
        try (Database f = follower()) {
            readAll(f);
            deleteEverything();
            write(1, 'C', 2); // another database at TXID 1
            PollOutcome p = f.pollOnce(clock.instant());
            assertThat(p.ok()).isTrue();
            assertThat(f.current().txid()).isEqualTo(1);
            assertServesTheReplicaExactly(f);
            assertThat(f.status().follower().divergence().heldTxid()).isEqualTo(0x17);
            assertThat(f.status().lastError()).contains("replica_diverged");
        }
    }

    @Test
    void anEmptiedReplicaRefusesReadsUntilANewStateLoadsAndLagGrows() throws Exception {
        write(3, 'A', 3);
        try (Database f = follower()) {
            ReadTransaction pinned = f.beginRead();
            assertThat(f.pollOnce(clock.instant()).ok()).isTrue();
            assertThat(f.status().lagMillis()).isZero();
            assertThat(f.status().follower().lastPollOk()).isTrue();
            deleteEverything();
            clock.advance(Duration.ofSeconds(10));
            PollOutcome p = f.pollOnce(clock.instant());
            assertThat(p.ok()).isFalse();
            assertThatThrownBy(f::beginRead).isInstanceOf(ReplicaDivergedException.class)
                    .hasMessageContaining("replica_diverged");
            byte[] page = new byte[PS];
            assertThatThrownBy(() -> pinned.read(0, page, 0, PS)).isInstanceOf(ReplicaDivergedException.class);
            pinned.close();
            clock.advance(Duration.ofSeconds(5));
            f.pollOnce(clock.instant());
            DatabaseStatus s = f.status();
            assertThat(s.lagMillis()).isEqualTo(15_000); // stale since the last poll that found it current
            assertThat(s.follower().lastPollOk()).isFalse();
            assertThat(s.follower().lastPollError()).contains("cannot be loaded");
            assertThat(s.follower().divergence().readsRefused()).isTrue();
            assertThat(s.toJson()).contains("\"reads_refused\":true").contains("\"last_poll_ok\":false");

            write(2, 'D', 2);
            assertThat(f.pollOnce(clock.instant()).ok()).isTrue();
            assertServesTheReplicaExactly(f);
            assertThat(f.status().lagMillis()).isZero();
            assertThat(f.status().follower().divergence().readsRefused()).isFalse();
        }
    }

    @Test
    void aReplicaRestoredToAnEarlierPointAndContinuedDifferentlyIsReloaded() throws Exception {
        write(6, 'A', 4);
        try (Database f = follower()) {
            readAll(f);
            List<LtxFileInfo> above = new ArrayList<>();
            for (LtxFileInfo i : replica.listFiles(0, 0, false)) {
                if (i.maxTxid() > 3) {
                    above.add(i);
                }
            }
            replica.deleteFiles(above);
            write(5, 'E', 4); // continues from TXID 3 to 8 with other content
            f.pollOnce(clock.instant());
            assertServesTheReplicaExactly(f);
            assertThat(f.status().follower().divergence().heldTxid()).isEqualTo(6);
        }
    }

    @Test
    void aDifferentWriterContinuingTheChainIsFollowedWithoutADivergence() throws Exception {
        write(3, 'A', 4);
        try (Database f = follower()) {
            readAll(f);
            write(3, 'F', 4); // a new process (new node id) continues from TXID 3 with correct checksums
            f.pollOnce(clock.instant());
            assertServesTheReplicaExactly(f);
            assertThat(f.current().txid()).isEqualTo(6);
            assertThat(f.status().follower().divergence()).isNull();
            assertThat(f.status().follower().reloads()).isZero();
            assertThat(f.status().lastError()).isNull();
        }
    }

    @Test
    void aNoChecksumReplicaReplacedUnderTheFollowerIsNoticedByTheFileIdentity() throws Exception {
        noChecksumHistory(4, 'A', 100);
        try (Database f = follower()) {
            readAll(f);
            deleteEverything();
            noChecksumHistory(13, 'B', 200);
            f.pollOnce(clock.instant());
            assertServesTheReplicaExactly(f);
            assertThat(f.status().follower().divergence().heldTxid()).isEqualTo(4);
        }
    }

    @Test
    void aNoChecksumReplicaGrowingNormallyIsFollowed() throws Exception {
        noChecksumHistory(4, 'A', 100);
        try (Database f = follower()) {
            readAll(f);
            for (long t = 5; t <= 7; t++) {
                noChecksumFile(0, t, t, 'A' + (int) t, 100 + t);
            }
            f.pollOnce(clock.instant());
            assertServesTheReplicaExactly(f);
            assertThat(f.status().follower().divergence()).isNull();
        }
    }

    @Test
    void aReadOfAFileGoneWithAReplacementIsNotRelocatedIntoTheOtherHistory() throws Exception {
        noChecksumHistory(4, 'A', 100);
        try (Database f = Database.open(replica, "app.db", Kit.reader(clock).cacheBytes(0).build())) {
            byte[] before = readAll(f);
            deleteEverything();
            // Another database at the same TXIDs: a compacted snapshot and an L0 file named like the follower's.
            noChecksumFile(1, 1, 4, 'B', 200, 1, 2, 3);
            noChecksumFile(0, 4, 4, 'B', 200, 2);
            try (ReadTransaction r = f.beginRead()) {
                byte[] now = new byte[before.length];
                assertThatThrownBy(() -> r.read(0, now, 0, now.length)).isInstanceOf(java.io.IOException.class);
            }
            assertThat(f.status().lastError()).contains("another history");
            f.pollOnce(clock.instant());
            assertServesTheReplicaExactly(f);
        }
    }

    @Test
    void withTheBugSwitchTheOldMergeComesBack() throws Exception {
        faults = EngineFaults.builder().skipFollowerContinuity(true).build();
        write(4, 'A', 6);
        try (Database f = follower()) {
            readAll(f);
            deleteEverything();
            write(13, 'B', 6);
            f.pollOnce(clock.instant());
            assertThat(f.current().txid()).isEqualTo(13);
            assertThat(sameBytes(readAll(f), restore(replica, 0, tmp))).as("a mix of two databases").isFalse();
        }
    }

    @Test
    void readModeLagIsTheTimeSinceTheFollowerWasLastCurrentAndDataAgeComesFromTheHeader() throws Exception {
        write(2, 'A', 2);
        long written = clock.millis();
        FailingLists lists = new FailingLists(replica);
        try (Database f = Database.open(lists, "app.db", Kit.reader(clock).build())) {
            assertThat(f.status().lagMillis()).isEqualTo(-1);
            assertThat(f.status().toJson()).contains("\"last_poll_ok\":null");
            f.pollOnce(clock.instant());
            clock.advance(Duration.ofSeconds(3));
            lists.failing = true;
            assertThat(f.pollOnce(clock.instant()).ok()).isFalse();
            clock.advance(Duration.ofSeconds(4));
            DatabaseStatus s = f.status();
            assertThat(s.lagMillis()).isEqualTo(7_000);
            assertThat(s.follower().lastPollOk()).isFalse();
            assertThat(s.follower().lastPollError()).contains("listing refused");
            assertThat(s.follower().newestTxidMillis()).isEqualTo(written);
            assertThat(s.follower().dataAgeMillis()).isEqualTo(clock.millis() - written);
            assertThat(s.toJson()).contains("\"data_age_ms\":" + (clock.millis() - written))
                    .contains("\"newest_txid_time\":\"" + java.time.Instant.ofEpochMilli(written) + "\"");
            lists.failing = false;
            assertThat(f.pollOnce(clock.instant()).ok()).isTrue();
            assertThat(f.status().lagMillis()).isZero();
            assertThat(f.status().follower().lastPollOk()).isTrue();
        }
    }

    @Test
    void aShortReadOfTheAnchorIsATransientFailureNotADivergence() throws Exception {
        write(2, 'A', 2);
        FailingLists client = new FailingLists(replica);
        try (Database f = Database.open(client, "app.db", Kit.reader(clock).build())) {
            client.shortHeaders = true;
            PollOutcome p = f.pollOnce(clock.instant());
            assertThat(p.ok()).isFalse();
            assertThat(f.status().follower().divergence()).isNull();
            assertThat(f.status().follower().lastPollError()).contains("short read");
            client.shortHeaders = false;
            assertThat(f.pollOnce(clock.instant()).ok()).isTrue();
            assertThat(f.status().follower().reloads()).isZero();
        }
    }

    /** Fails listings, or cuts header reads short, on demand. */
    static final class FailingLists extends dev.ltx4j.replica.ForwardingReplicaClient {
        volatile boolean failing;
        volatile boolean shortHeaders;

        @Override
        public byte[] readRange(int level, long minTxid, long maxTxid, long offset, long length)
                throws dev.ltx4j.replica.ReplicaException {
            byte[] b = super.readRange(level, minTxid, maxTxid, offset, length);
            return shortHeaders && offset == 0 && length == Ltx.HEADER_SIZE ? java.util.Arrays.copyOf(b, 40) : b;
        }

        FailingLists(ReplicaClient delegate) {
            super(delegate);
        }

        @Override
        public List<LtxFileInfo> listFiles(int level, long seekTxid, boolean useMetadata)
                throws dev.ltx4j.replica.ReplicaException {
            if (failing) {
                throw new ReplicaTransientException("listing refused (test)", null);
            }
            return super.listFiles(level, seekTxid, useMetadata);
        }
    }

    /** A Litestream-like NoChecksum history: snapshot at 1, then one L0 file per TXID. */
    void noChecksumHistory(long txids, int fill, long node) throws Exception {
        noChecksumFile(0, 1, 1, fill, node, 1, 2, 3);
        for (long t = 2; t <= txids; t++) {
            noChecksumFile(0, t, t, fill + (int) t, node, 2);
        }
    }

    void noChecksumFile(int level, long min, long max, int fill, long node, long... pgnos) throws Exception {
        if (pgnos.length == 0) {
            pgnos = new long[] {2};
        }
        clock.advance(Duration.ofMillis(7));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, PS, 3, min, max,
                clock.millis(), 0).withNodeId(node));
        for (long p : pgnos) {
            enc.writePage(p, Rival.content(PS, p, fill), 0);
        }
        enc.finish(0);
        replica.createFile(level, min, max, LtxBody.of(out.toByteArray()));
    }
}
