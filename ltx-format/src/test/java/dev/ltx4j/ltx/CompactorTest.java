package dev.ltx4j.ltx;

import static dev.ltx4j.ltx.TestLtx.fill;
import static dev.ltx4j.ltx.TestLtx.pages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reference compactor cases C1-C5: our output is logically equal to the Go output in the vectors. */
class CompactorTest {
    private static final long F = Ltx.CHECKSUM_FLAG;

    private static LtxSource file(String name, LtxHeader h, Map<Long, byte[]> pages, long post) throws IOException {
        return LtxSource.ofBytes(name, TestLtx.encode(h, pages, post));
    }

    private static void assertCompactsTo(List<LtxSource> inputs, int flags, String vector) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncodeResult r = LtxCompactor.compact(inputs, out, flags);
        var ours = TestLtx.decode(out.toByteArray(), "ours");
        var go = TestLtx.decode(TestLtx.vector(vector), vector);
        assertThat(ours.header()).isEqualTo(go.header());
        VectorTest.assertPages(ours.pages(), go.pages());
        assertThat(ours.summary().postApplyChecksum()).isEqualTo(go.summary().postApplyChecksum());
        assertThat(r.fileChecksum()).isEqualTo(ours.summary().fileChecksum());
        assertThat(r.pageIndex()).isEqualTo(ours.summary().pageIndex());
    }

    @Test
    void c1SingleFile() throws IOException {
        var in = file("a", LtxHeader.of(0, 512, 1, 1, 1, 1000, 0), pages(1, fill(512, '1')), TestLtx.hex("eb1a999231044ddd"));
        assertCompactsTo(List.of(in), 0, "C1");
    }

    @Test
    void c2Snapshot() throws IOException {
        long post = TestLtx.hex("8a249272ad9f7dea");
        var a = file("a", LtxHeader.of(0, 1024, 3, 1, 1, 1000, 0),
                pages(1, fill(1024, 0x81), 2, fill(1024, 0x82), 3, fill(1024, 0x83)), post);
        var b = file("b", LtxHeader.of(0, 1024, 3, 2, 2, 2000, post), pages(1, fill(1024, 0x91), 3, fill(1024, 0x93)), post);
        assertCompactsTo(List.of(a, b), 0, "C2");
    }

    @Test
    void c3NonSnapshot() throws IOException {
        var a = file("a", LtxHeader.of(0, 1024, 3, 2, 3, 1000, F | 2), pages(3, fill(1024, 0x83)), F | 3);
        var b = file("b", LtxHeader.of(0, 1024, 3, 4, 5, 2000, F | 4), pages(1, fill(1024, 0x91)), F | 5);
        var c = file("c", LtxHeader.of(0, 1024, 5, 6, 9, 3000, F | 6),
                pages(2, fill(1024, 0xa2), 3, fill(1024, 0xa3), 5, fill(1024, 0xa5)), F | 9);
        assertCompactsTo(List.of(a, b, c), 0, "C3");
    }

    @Test
    void c4Shrinking() throws IOException {
        var a = file("a", LtxHeader.of(0, 1024, 3, 2, 3, 1000, F | 2), pages(3, fill(1024, 0x83)), F | 3);
        var b = file("b", LtxHeader.of(0, 1024, 2, 4, 5, 2000, F | 4), pages(1, fill(1024, 0x91)), F | 5);
        assertCompactsTo(List.of(a, b), 0, "C4");
    }

    @Test
    void c5LitestreamStyleWithLegacyInput() throws IOException {
        int nc = Ltx.HEADER_FLAG_NO_CHECKSUM;
        var a = file("a", new LtxHeader(nc, 512, 2, 1, 1, 1000, 0, 32, 1072, 1, 2, 0),
                pages(1, fill(512, 1), 2, fill(512, 2)), 0);
        var b = file("b", new LtxHeader(nc, 512, 2, 2, 2, 2000, 0, 1104, 536, 1, 2, 0), pages(2, fill(512, 0x22)), 0);
        assertCompactsTo(List.of(a, b), nc, "C5");
    }

    @Test
    void noChecksumOutputOfInputsThatTrackChecksumsDropsThem() throws IOException {
        // ltx4j's own files carry database checksums; merged Litestream style (NoChecksum) they must not fail.
        int nc = Ltx.HEADER_FLAG_NO_CHECKSUM;
        var a = file("a", LtxHeader.of(0, 1024, 3, 2, 3, 1000, F | 2), pages(3, fill(1024, 0x83)), F | 3);
        var b = file("b", LtxHeader.of(nc, 1024, 3, 4, 5, 2000, 0), pages(1, fill(1024, 0x91)), 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncodeResult r = LtxCompactor.compact(List.of(a, b), out, nc);
        assertThat(r.header().preApplyChecksum()).isZero();
        assertThat(r.postApplyChecksum()).isZero();
        var d = TestLtx.decode(out.toByteArray(), "out");
        assertThat(d.header().noChecksum()).isTrue();
        assertThat(d.header().range()).isEqualTo(new TxidRange(2, 5));
        VectorTest.assertPages(d.pages(), pages(1, fill(1024, 0x91), 3, fill(1024, 0x83)));
    }

    @Test
    void legacyInputsBecomeBlockFrames() throws IOException {
        // L2 (legacy, TXID 5-7) followed by a block-frame file at TXID 8.
        var b = file("b", LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, 512, 3, 8, 8, 5, 0), pages(3, fill(512, 3)), 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxCompactor.compact(List.of(LtxSource.ofBytes("L2", TestLtx.vector("L2")), b), out, Ltx.HEADER_FLAG_NO_CHECKSUM);
        var d = TestLtx.decode(out.toByteArray(), "out");
        VectorTest.assertPages(d.pages(), pages(2, fill(512, 0xab), 3, fill(512, 3)));
        assertThat(d.header().range()).isEqualTo(new TxidRange(5, 8));
        assertThat(out.toByteArray()[104 + 1]).isEqualTo((byte) Ltx.PAGE_FLAG_SIZE);
    }

    @Test
    void rejectsGapsPageSizeMismatchAndCorruptInputs() throws IOException {
        var a = file("a.ltx", LtxHeader.of(0, 1024, 1, 1, 2, 1000, 0), pages(1, fill(1024, 0x81)),
                TestLtx.rolling(1024, pages(1, fill(1024, 0x81))));
        // Its post-apply is the merged snapshot's true checksum: our encoder verifies snapshot post-apply values.
        var gap = file("gap.ltx", LtxHeader.of(0, 1024, 1, 4, 4, 1000, F | 2), pages(1, fill(1024, 0x91)),
                TestLtx.rolling(1024, pages(1, fill(1024, 0x91))));
        assertThatThrownBy(() -> LtxCompactor.compact(List.of(a, gap), new ByteArrayOutputStream(), 0))
                .isInstanceOf(LtxFormatException.class)
                .hasMessageContaining("non-contiguous transaction ids in input files: "
                        + "(0000000000000001,0000000000000002) -> (0000000000000004,0000000000000004)");
        // With gaps allowed, the same inputs compact.
        LtxCompactor.compact(List.of(a, gap), new ByteArrayOutputStream(), 0, true);

        var small = file("small.ltx", LtxHeader.of(0, 512, 1, 3, 3, 1000, F | 2), pages(1, fill(512, 1)), F | 1);
        assertThatThrownBy(() -> LtxCompactor.compact(List.of(a, small), new ByteArrayOutputStream(), 0))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("mismatched page sizes: 1024 != 512");

        byte[] good = TestLtx.encode(LtxHeader.of(0, 1024, 1, 3, 3, 1000, F | 2), pages(1, fill(1024, 7)), F | 1);
        byte[] corrupt = good.clone();
        corrupt[corrupt.length - 1] ^= 1;
        List<LtxSource> inputs = new ArrayList<>(List.of(a, LtxSource.ofBytes("corrupt.ltx", corrupt)));
        assertThatThrownBy(() -> LtxCompactor.compact(inputs, new ByteArrayOutputStream(), 0))
                .isInstanceOf(LtxFormatException.class)
                .hasMessageContaining("corrupt.ltx").hasMessageContaining("trailer.fileChecksum");
    }

    @Test
    void aFailedInputIsReportedEvenWhenClosingTheInputsAlsoFails() throws IOException {
        var good = file("good", LtxHeader.of(0, 512, 1, 1, 1, 1000, 0), pages(1, fill(512, '1')),
                TestLtx.hex("eb1a999231044ddd"));
        LtxSource garbage = LtxSource.of("garbage", () -> new ByteArrayInputStream(new byte[200]) {
            @Override
            public void close() throws IOException {
                throw new IOException("close failed");
            }
        });
        assertThatThrownBy(() -> LtxCompactor.compact(List.of(good, garbage), new ByteArrayOutputStream(), 0))
                .isInstanceOf(LtxFormatException.class).hasMessageContaining("garbage")
                .satisfies(e -> assertThat(e.getSuppressed()).extracting(Throwable::getMessage)
                        .containsExactly("close failed"));
    }
}
