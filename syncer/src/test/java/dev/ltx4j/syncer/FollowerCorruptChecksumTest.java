package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.TxidRange;
import dev.ltx4j.pagestore.replica.ReplicaFileCorruptException;
import dev.ltx4j.pagestore.testkit.MemoryLogStorage;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bit flipped at rest in the checksums of one replica file (the trailer's post-apply checksum, the header's
 * pre-apply checksum) makes the next file look like another history. The follower verifies both files before
 * blaming: it reports the damaged file as corrupt, naming it, keeps its state and keeps serving reads, and never
 * reports a divergence of the healthy file (found by the simulator's corruption scenario, seed 266).
 */
class FollowerCorruptChecksumTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();
    Database writer;

    @BeforeEach
    void openWriter() throws Exception {
        writer = Database.open(replica, "app.db",
                Kit.writer(new MemoryLogStorage(), tmp.resolve("c"), clock, 3).build());
    }

    @AfterEach
    void closeWriter() throws Exception {
        writer.close();
    }

    /** Syncs {@code n} transactions of the one writer (one L0 file each), every one writing page 1 and another. */
    void sync(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            long txid = writer.current().txid() + 1;
            commitPages(writer, PS, 1, (int) txid, 2 + (int) (txid % 3), 'a' + (int) txid);
            clock.advance(Duration.ofMillis(10));
            assertThat(writer.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
        }
    }

    static String name(long txid) {
        return "L0/" + new TxidRange(txid, txid).filename();
    }

    /** Flips one bit of L0 file {@code txid} at byte {@code at} (negative: from the end). */
    void flip(long txid, int at) throws Exception {
        byte[] bytes = replica.readRange(0, txid, txid, 0, 0);
        byte[] bad = bytes.clone();
        bad[at < 0 ? bad.length + at : at] ^= 0x08;
        replica.bucket().putRaw(replica.levelKey(0) + new TxidRange(txid, txid).filename(), bad);
    }

    /** The first byte of the trailer's post-apply checksum. */
    static int postApplyChecksum() {
        return -Ltx.TRAILER_SIZE + 6;
    }

    Database follower() throws Exception {
        return Database.open(replica, "app.db", Kit.reader(clock).build());
    }

    void assertCorruptNotDiverged(Database f, PollOutcome p, long damaged, long keptTxid) throws Exception {
        assertThat(p.ok()).as("the poll fails").isFalse();
        assertThat(p.error()).isInstanceOf(ReplicaFileCorruptException.class);
        assertThat(((ReplicaFileCorruptException) p.error()).file().name()).isEqualTo(name(damaged));
        assertThat(p.error().getMessage()).contains(name(damaged)).contains("corrupt");
        DatabaseStatus s = f.status();
        assertThat(s.follower().divergence()).as("no divergence is reported").isNull();
        assertThat(s.follower().reloads()).isZero();
        assertThat(String.valueOf(s.lastError())).doesNotContain("replica_diverged").contains(name(damaged));
        assertThat(f.current().txid()).as("the held state is kept").isEqualTo(keptTxid);
        assertThat(readAll(f)).as("reads of the held state still work").hasSize(PS * 4);
    }

    @Test
    void aFlippedPostApplyChecksumIsReportedAsCorruptionOfThatFileNotAsDivergenceOfTheNext() throws Exception {
        sync(4);
        try (Database f = follower()) {
            readAll(f);
            sync(4); // TXIDs 5..8
            flip(6, postApplyChecksum());
            PollOutcome p = f.pollOnce(clock.instant());
            assertCorruptNotDiverged(f, p, 6, 4);
            // Every later poll says the same; none ever declares divergence.
            assertCorruptNotDiverged(f, f.pollOnce(clock.instant()), 6, 4);
        }
    }

    @Test
    void aChecksumAppliedInAnEarlierPollIsVerifiedBeforeTheNextFileIsBlamed() throws Exception {
        sync(4);
        try (Database f = follower()) {
            sync(2); // TXIDs 5, 6
            flip(6, postApplyChecksum());
            assertThat(f.pollOnce(clock.instant()).ok()).isTrue(); // nothing contradicts the damaged checksum yet
            assertThat(f.current().txid()).isEqualTo(6);
            sync(1); // TXID 7 continues the real state 6
            PollOutcome p = f.pollOnce(clock.instant());
            assertThat(p.ok()).isFalse();
            assertThat(p.error()).isInstanceOf(ReplicaFileCorruptException.class);
            assertThat(p.error().getMessage()).contains(name(6)).doesNotContain(name(7));
            assertThat(f.status().follower().divergence()).isNull();
            assertThat(f.current().txid()).isEqualTo(6);
        }
    }

    @Test
    void aFlippedPreApplyChecksumIsReportedAsCorruptionOfItsOwnFile() throws Exception {
        sync(4);
        try (Database f = follower()) {
            readAll(f);
            sync(2); // TXIDs 5, 6
            flip(6, 43); // inside the header's pre-apply checksum (bytes 40..47)
            LtxHeader h = LtxHeader.parse(replica.readRange(0, 6, 6, 0, Ltx.HEADER_SIZE), "6");
            assertThat(h.preApplyChecksum()).isNotZero();
            PollOutcome p = f.pollOnce(clock.instant());
            assertThat(p.ok()).isFalse();
            assertThat(p.error()).isInstanceOf(ReplicaFileCorruptException.class);
            assertThat(((ReplicaFileCorruptException) p.error()).file().name()).isEqualTo(name(6));
            assertThat(f.status().follower().divergence()).isNull();
            assertThat(f.current().txid()).isEqualTo(4);
        }
    }

    @Test
    void verifiedFilesThatDoNotContinueEachOtherAreStillADivergence() throws Exception {
        sync(4);
        try (Database f = follower()) {
            // The replica is replaced by another history with the same TXIDs and then continued.
            for (int level = 0; level <= 9; level++) {
                replica.deleteFiles(replica.listFiles(level, 0, false));
            }
            writer.close();
            writer = Database.open(replica, "app.db",
                    Kit.writer(new MemoryLogStorage(), tmp.resolve("d"), clock, 4).build());
            commitPages(writer, PS, 1, 'z', 2, 'z', 3, 'z', 4, 'z');
            assertThat(writer.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            sync(4);
            PollOutcome p = f.pollOnce(clock.instant());
            assertThat(p.ok()).isTrue();
            assertThat(f.status().follower().divergence()).isNotNull();
            assertThat(f.status().follower().reloads()).isEqualTo(1);
        }
    }
}
