package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.pagestore.replica.ReplicaFileCorruptException;
import dev.ltx4j.replica.LtxBody;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The growth verification (ReplicaIndex.checkGrowth: a file that grows the database without every new page is
 * verified whole with the file before it) honours {@code EngineFaults.trustUnverifiedChecksums} as the check before
 * blaming a checksum mismatch does: off (in use), the damaged file before is named; on (the simulator's switch),
 * headers decide alone and nothing is verified, in the open and in the follower poll. It ignored the switch.
 */
class GrowthVerificationTrustTest {
    static final int PS = 512;
    final Kit.ManualClock clock = new Kit.ManualClock(1_800_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    /** L0 file {@code txid} with {@code commit} pages holding {@code pages}. */
    static byte[] ltx(long txid, int commit, int... pages) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, PS, commit, txid, txid,
                1_700_000_000_000L + txid, 0));
        for (int p : pages) {
            byte[] page = new byte[PS];
            page[0] = (byte) p;
            page[1] = (byte) txid;
            enc.writePage(p, page, 0);
        }
        enc.finish(0);
        return out.toByteArray();
    }

    /** TXID 1 a snapshot of 2 pages; TXID 2 rewrites page 1, its file damaged at rest (its file checksum). */
    void twoFilesTheSecondDamaged() throws Exception {
        replica.createFile(0, 1, 1, LtxBody.of(ltx(1, 2, 1, 2)));
        byte[] two = ltx(2, 2, 1);
        two[two.length - 1] ^= 0x10; // the trailer's file checksum: only a whole read sees it
        replica.createFile(0, 2, 2, LtxBody.of(two));
    }

    /** TXID 3 grows the database to 4 pages holding pages 1 and 4 only (page 3 never written: valid when so). */
    void growthWithoutPage3() throws Exception {
        replica.createFile(0, 3, 3, LtxBody.of(ltx(3, 4, 1, 4)));
    }

    Database open(boolean trust) throws Exception {
        return Database.open(replica, "app.db", Kit.reader(clock)
                .faults(EngineFaults.builder().trustUnverifiedChecksums(trust).build()).build());
    }

    @Test
    void theOpenVerifiesTheFileBeforeAShortGrowthUnlessTheSwitchTrustsHeaders() throws Exception {
        twoFilesTheSecondDamaged();
        growthWithoutPage3();
        assertThatThrownBy(() -> open(false).close()).isInstanceOf(ReplicaFileCorruptException.class)
                .hasMessageContaining("L0/0000000000000002-0000000000000002.ltx");
        try (Database db = open(true)) {
            assertThat(db.current().txid()).as("applied on its header alone").isEqualTo(3);
            assertThat(db.current().commit()).isEqualTo(4);
        }
    }

    @Test
    void theFollowerPollVerifiesTheFileBeforeAShortGrowthUnlessTheSwitchTrustsHeaders() throws Exception {
        twoFilesTheSecondDamaged();
        try (Database strict = open(false); Database trusting = open(true)) {
            assertThat(strict.current().txid()).isEqualTo(2);
            assertThat(trusting.current().txid()).isEqualTo(2);
            growthWithoutPage3();
            PollOutcome p = strict.pollOnce(Instant.now());
            assertThat(p.ok()).isFalse();
            assertThat(p.error()).isInstanceOf(ReplicaFileCorruptException.class);
            assertThat(p.error().getMessage()).contains("L0/0000000000000002-0000000000000002.ltx");
            assertThat(strict.current().txid()).isEqualTo(2);
            PollOutcome q = trusting.pollOnce(Instant.now());
            assertThat(q.ok()).as("%s", q.error()).isTrue();
            assertThat(trusting.current().txid()).isEqualTo(3);
        }
    }
}
