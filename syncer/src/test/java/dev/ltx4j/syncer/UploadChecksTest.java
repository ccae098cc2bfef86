package dev.ltx4j.syncer;

import static dev.ltx4j.syncer.Kit.commitPages;
import static dev.ltx4j.syncer.Kit.readAll;
import static dev.ltx4j.syncer.Kit.restore;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.LtxFileInfo;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import dev.ltx4j.pagestore.CommittedTransaction;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sync encodes pages with the checksums computed at commit, so it must upload exactly the bytes committed: a
 * buffer record damaged on disk between commit and sync fails the sync (nothing uploaded, nothing lost), and once
 * the record is whole again the same transaction syncs.
 */
class UploadChecksTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    private static void flip(Path file, long at) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            ch.write(ByteBuffer.wrap(new byte[] {(byte) (b.get(0) ^ 0x04)}), at);
        }
    }

    /** Offset of the record of page {@code pgno} in the buffer's last transaction. */
    private static long recordOf(Database db, long pgno) throws Exception {
        List<CommittedTransaction> txns = db.buffer().transactions();
        return txns.get(txns.size() - 1).pages().stream().filter(l -> l.pgno() == pgno).findFirst().orElseThrow()
                .offset();
    }

    /**
     * Where in a format version 2 ('Z') record the damage lands: a byte of the LZ4 block, the block length field (to
     * beyond the LZ4 bound: never trusted as a length), the stored page CRC-64 (the encoder would fold a wrong one
     * into the file checksum).
     */
    @ParameterizedTest
    @ValueSource(ints = {20 + 3, 8, 12 + 5}) // LogFormat: block from 20, length at 8, page CRC-64 at 12
    void aBufferRecordDamagedBeforeItsSyncIsNeverUploaded(int within) throws Exception {
        Path buffer = tmp.resolve("app.buffer");
        EngineOptions options = EngineOptions.builder()
                .writeEnabled(true)
                .durability(Durability.LOCAL)
                .bufferPath(buffer)
                .conflictDirectory(tmp.resolve("conflicts"))
                .clock(Kit.engine(clock))
                .seed(42)
                .build();
        try (Database db = Database.open(replica, "app.db", options)) {
            commitPages(db, PS, 1, 1, 2, 2, 3, 3);
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            commitPages(db, PS, 2, 0x5A, 3, 0x6B);
            long damaged = recordOf(db, 2) + within;
            flip(buffer, damaged);

            SyncOutcome failed = db.syncOnce(clock.instant());
            assertThat(failed.status()).isEqualTo(SyncOutcome.Status.FAILED);
            assertThat(failed.error()).hasMessageContaining("damaged record of page 2");
            assertThat(replica.listFiles(0, 0, false)).extracting(LtxFileInfo::maxTxid).containsExactly(1L);
            assertThat(db.status().pendingCommits()).isEqualTo(1);

            flip(buffer, damaged); // whole again: the same transaction goes up, verified end to end
            assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
            assertThat(restore(replica, 0, tmp)).isEqualTo(readAll(db));
        }
    }
}
