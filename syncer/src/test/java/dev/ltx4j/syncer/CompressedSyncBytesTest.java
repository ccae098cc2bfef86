package dev.ltx4j.syncer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ltx4j.conformance.InMemoryReplicaClient;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxSummary;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.LtxFileInfo;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sync of a format version 2 buffer copies the frames its records hold: every file it uploads is byte for byte
 * the file {@link LtxEncoder} writes from the same plain pages (same header, same post-apply checksum), so the frames
 * are the ones the encoder's compressor makes and the file checksum covers exactly the committed pages.
 */
class CompressedSyncBytesTest {
    static final int PS = 4096;

    @TempDir
    Path tmp;

    final Kit.ManualClock clock = new Kit.ManualClock(1_700_000_000_000L);
    final InMemoryReplicaClient replica = new InMemoryReplicaClient();

    private static byte[] page(SplittableRandom r) {
        byte[] p = new byte[PS];
        for (int i = 0; i < PS * 4 / 10; i++) {
            p[i] = (byte) r.nextInt();
        }
        return p;
    }

    private byte[] fileBytes(LtxFileInfo f) throws Exception {
        try (InputStream in = replica.openFile(0, f.minTxid(), f.maxTxid(), 0, f.size())) {
            return in.readAllBytes();
        }
    }

    @Test
    void everyUploadedFileIsWhatTheEncoderWritesFromThePlainPages() throws Exception {
        EngineOptions options = EngineOptions.builder()
                .writeEnabled(true)
                .durability(Durability.LOCAL)
                .bufferPath(tmp.resolve("app.buffer"))
                .conflictDirectory(tmp.resolve("conflicts"))
                .clock(Kit.engine(clock))
                .seed(7)
                .build();
        SplittableRandom r = new SplittableRandom(3);
        try (Database db = Database.open(replica, "app.db", options)) {
            for (int round = 0; round < 3; round++) {
                for (int t = 0; t < 4; t++) { // several transactions, pages rewritten across them
                    try (WriteSession s = db.beginWrite()) {
                        for (int p = 1 + t; p <= 12; p += 2) {
                            s.write((long) (p - 1) * PS, page(r), 0, PS);
                        }
                        s.commit();
                    }
                }
                assertThat(db.syncOnce(clock.instant()).status()).isEqualTo(SyncOutcome.Status.SYNCED);
                clock.advance(java.time.Duration.ofSeconds(1));
            }
        }
        List<LtxFileInfo> files = replica.listFiles(0, 0, false);
        assertThat(files).hasSize(3);
        for (LtxFileInfo f : files) {
            byte[] uploaded = fileBytes(f);
            LtxDecoder dec = new LtxDecoder(uploaded, 0, uploaded.length, "uploaded");
            LtxHeader h = dec.header();
            List<Long> pgnos = new ArrayList<>();
            List<byte[]> images = new ArrayList<>();
            byte[] buf = new byte[PS];
            for (long p; (p = dec.readPage(buf, 0)) != 0; ) {
                pgnos.add(p);
                images.add(buf.clone());
            }
            LtxSummary summary = dec.summary();
            ByteArrayOutputStream again = new ByteArrayOutputStream();
            LtxEncoder enc = new LtxEncoder(again, h, "re-encoded");
            for (int i = 0; i < pgnos.size(); i++) {
                enc.writePage(pgnos.get(i), images.get(i), 0);
            }
            enc.finish(summary.postApplyChecksum());
            assertThat(again.toByteArray()).as("TXID %d", f.maxTxid()).isEqualTo(uploaded);
        }
    }
}
