package dev.ltx4j.vfs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.accel.Crc64Acceleration;
import dev.ltx4j.vfs.LitestreamVfs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native CRC-64 (crc64clmul.c) gives exactly the pure-Java values: random lengths 0..20000 at every alignment,
 * arrays and direct/heap buffers, streams fed in pieces, the check value, the LTX encoder's single-pass page hash;
 * loading the library installs it, and {@code ltx4j.crc64.native=false} keeps the Java code.
 */
class NativeCrc64Test {
    private static final long POLY = 0xD800000000000000L;

    @BeforeAll
    static void load() throws Exception {
        LitestreamVfs.load();
    }

    @AfterEach
    void restore() {
        System.clearProperty(Crc64Acceleration.PROPERTY);
        NativeCrc64.install();
        if (NativeCrc64.available()) {
            NativeCrc64.nativeWidth(512); // the widest the CPU runs
        }
    }

    /** Bit-at-a-time CRC-64/GO-ISO, from the definition (Go crc64.Update semantics). */
    private static long bitwise(long crc, byte[] data, int off, int len) {
        long c = ~crc;
        for (int i = off; i < off + len; i++) {
            c ^= data[i] & 0xFF;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
            }
        }
        return ~c;
    }

    private static boolean cpuHasClmul() throws Exception {
        Path info = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(info)) {
            return false;
        }
        String text = Files.readString(info);
        return text.contains(" pclmulqdq") && text.contains(" sse4_1");
    }

    @Test
    void loadingTheLibraryInstallsTheAcceleratorWhereTheCpuHasIt() throws Exception {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "the accelerator is x86-64 only");
        assertThat(NativeCrc64.available()).isEqualTo(cpuHasClmul());
        assumeTrue(cpuHasClmul(), "this CPU has no PCLMULQDQ");
        assertThat(Crc64.implementation()).isEqualTo("native-pclmul");
    }

    /** The widest folding /proc/cpuinfo promises: 512 (AVX-512 + VPCLMULQDQ), 256 (AVX2 + VPCLMULQDQ), else 128. */
    private static int cpuWidth() throws Exception {
        String flags = Files.readString(Path.of("/proc/cpuinfo")).lines().filter(l -> l.startsWith("flags"))
                .findFirst().orElse("") + " ";
        if (!flags.contains(" vpclmulqdq ") || !flags.contains(" avx2 ")) {
            return 128;
        }
        return flags.contains(" avx512f ") && flags.contains(" avx512vl ") ? 512 : 256;
    }

    @Test
    void theWidestFoldingTheCpuRunsIsChosen() throws Exception {
        String arch = System.getProperty("os.arch");
        assumeTrue(arch.equals("amd64") || arch.equals("x86_64"), "register widths are x86-64 only");
        assumeTrue(NativeCrc64.available(), "no accelerator on this CPU");
        assertThat(NativeCrc64.nativeWidth(512)).isEqualTo(cpuWidth());
        assertThat(NativeCrc64.nativeWidth(0)).isEqualTo(cpuWidth());
        assertThat(NativeCrc64.nativeWidth(128)).isEqualTo(128);
    }

    /**
     * Each folding width the CPU runs (x86-64: 128-bit PCLMULQDQ; 256 and 512 with VPCLMULQDQ, which take inputs from
     * 256 and 768 bytes) gives the Java table's values: every length up to 2100 (each path's block boundaries and
     * thresholds) and random lengths up to 70000, at random offsets from random start values; some against the
     * bit-at-a-time definition too.
     */
    @Test
    void everyFoldingWidthMatchesTheJavaTable() {
        assumeTrue(NativeCrc64.available(), "no accelerator on this CPU");
        Random rnd = new Random(4242);
        byte[] data = new byte[70_000 + 64];
        rnd.nextBytes(data);
        int rounds = 3000;
        int[] offs = new int[rounds];
        int[] lens = new int[rounds];
        long[] starts = new long[rounds];
        long[] java = new long[rounds];
        Crc64Acceleration.uninstall();
        for (int i = 0; i < rounds; i++) {
            offs[i] = rnd.nextInt(64);
            lens[i] = i < 2100 ? i : rnd.nextInt(70_001);
            starts[i] = i % 3 == 0 ? 0 : rnd.nextLong();
            java[i] = Crc64.update(starts[i], data, offs[i], lens[i]);
            if (i % 50 == 0) {
                assertThat(java[i]).isEqualTo(bitwise(starts[i], data, offs[i], lens[i]));
            }
        }
        int widest = NativeCrc64.nativeWidth(512);
        int checked = 0;
        for (int width = 128; width <= Math.max(widest, 128); width *= 2) {
            assertThat(NativeCrc64.nativeWidth(width)).isEqualTo(widest == 0 ? 0 : width);
            for (int i = 0; i < rounds; i++) {
                assertThat(NativeCrc64.INSTANCE.update(starts[i], data, offs[i], lens[i]))
                        .as("width %d off %d len %d", width, offs[i], lens[i]).isEqualTo(java[i]);
            }
            checked++;
        }
        assertThat(checked).isEqualTo(widest <= 128 ? 1 : widest == 256 ? 2 : 3);
    }

    @Test
    void randomLengthsAndAlignmentsMatchTheJavaTableAndTheDefinition() {
        assumeTrue(NativeCrc64.available(), "no accelerator on this CPU");
        Random rnd = new Random(20250);
        byte[] data = new byte[20_000 + 64];
        rnd.nextBytes(data);
        int rounds = 3000;
        int[] offs = new int[rounds];
        int[] lens = new int[rounds];
        long[] starts = new long[rounds];
        long[] viaCrc64 = new long[rounds];
        long[] direct = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            offs[i] = rnd.nextInt(64);
            lens[i] = i < 600 ? i % 300 : rnd.nextInt(20_001); // every short length, then anything up to 20000
            starts[i] = i % 3 == 0 ? 0 : rnd.nextLong();
            viaCrc64[i] = Crc64.update(starts[i], data, offs[i], lens[i]);
            direct[i] = NativeCrc64.INSTANCE.update(starts[i], data, offs[i], lens[i]);
        }
        assertThat(Crc64.implementation()).isEqualTo("native-pclmul");
        Crc64Acceleration.uninstall();
        assertThat(Crc64.implementation()).isEqualTo("java");
        for (int i = 0; i < rounds; i++) {
            long java = Crc64.update(starts[i], data, offs[i], lens[i]);
            assertThat(viaCrc64[i]).as("Crc64.update off %d len %d", offs[i], lens[i]).isEqualTo(java);
            assertThat(direct[i]).as("native off %d len %d", offs[i], lens[i]).isEqualTo(java);
            if (i % 10 == 0) {
                assertThat(java).as("definition, off %d len %d", offs[i], lens[i])
                        .isEqualTo(bitwise(starts[i], data, offs[i], lens[i]));
            }
        }
    }

    @Test
    void checkValueAndKnownPageChecksums() {
        assumeTrue(NativeCrc64.available(), "no accelerator on this CPU");
        byte[] nine = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(NativeCrc64.INSTANCE.update(0, nine, 0, 9)).isEqualTo(0xb90956c775a41001L);
        byte[] many = new byte[9 * 100];
        for (int i = 0; i < 100; i++) {
            System.arraycopy(nine, 0, many, 9 * i, 9);
        }
        assertThat(NativeCrc64.INSTANCE.update(0, many, 0, many.length)).isEqualTo(bitwise(0, many, 0, many.length));
        assertThat(Crc64.implementation()).isEqualTo("native-pclmul");
        // Pinned by the reference implementation (ltx-format Crc64Test), now computed natively.
        assertThat(Crc64.pageChecksum(1, new byte[4096], 0, 4096)).isEqualTo(0xd9328f592d9e733dL);
        assertThat(Crc64.pageChecksum(1, new byte[512], 0, 512)).isEqualTo(0xefb1f44fecd99000L);
        assertThat(NativeCrc64.INSTANCE.update(0, new byte[0], 0, 0)).isZero();
        assertThat(NativeCrc64.INSTANCE.update(0x1234, new byte[10], 10, 0)).isEqualTo(0x1234);
    }

    @Test
    void inputsLongerThanOneCriticalSectionMatchTheJavaTable() {
        assumeTrue(NativeCrc64.available(), "no accelerator on this CPU");
        byte[] data = new byte[3 * NativeCrc64.CRITICAL_CHUNK + 12_345];
        new Random(31).nextBytes(data);
        long[] got = new long[3];
        int[][] ranges = {{0, data.length}, {7, data.length - 7}, {3, 2 * NativeCrc64.CRITICAL_CHUNK}};
        for (int i = 0; i < ranges.length; i++) {
            got[i] = Crc64.update(42, data, ranges[i][0], ranges[i][1]);
        }
        Crc64Acceleration.uninstall();
        for (int i = 0; i < ranges.length; i++) {
            assertThat(got[i]).as("range %d", i).isEqualTo(Crc64.update(42, data, ranges[i][0], ranges[i][1]));
        }
    }

    @Test
    void streamsFedInPiecesEqualTheWhole() {
        assumeTrue(NativeCrc64.available(), "no accelerator on this CPU");
        Random rnd = new Random(5);
        byte[] data = new byte[50_000];
        rnd.nextBytes(data);
        long whole = bitwise(0, data, 0, data.length);
        for (int round = 0; round < 200; round++) {
            long c = 0;
            int at = 0;
            while (at < data.length) {
                int piece = Math.min(data.length - at, round % 2 == 0 ? rnd.nextInt(300) : rnd.nextInt(9000));
                c = Crc64.update(c, data, at, piece);
                at += piece;
            }
            assertThat(c).as("round %d", round).isEqualTo(whole);
        }
    }

    @Test
    void directAndHeapBuffersMatchTheArray() {
        assumeTrue(NativeCrc64.available(), "no accelerator on this CPU");
        Random rnd = new Random(9);
        byte[] data = new byte[20_100];
        rnd.nextBytes(data);
        ByteBuffer direct = ByteBuffer.allocateDirect(data.length + 64);
        direct.position(37);
        direct.put(data);
        ByteBuffer heap = ByteBuffer.wrap(new byte[data.length + 80], 11, data.length + 30).slice(); // arrayOffset 11
        heap.put(5, data);
        ByteBuffer readOnly = heap.asReadOnlyBuffer(); // no array: read in place
        for (int round = 0; round < 500; round++) {
            int off = rnd.nextInt(64);
            int len = round < 200 ? round : rnd.nextInt(20_001);
            long start = rnd.nextLong();
            long expected = bitwise(start, data, off, len);
            assertThat(Crc64.update(start, direct, 37 + off, len)).as("direct off %d len %d", off, len)
                    .isEqualTo(expected);
            assertThat(Crc64.update(start, heap, 5 + off, len)).as("heap off %d len %d", off, len).isEqualTo(expected);
            assertThat(Crc64.update(start, readOnly, 5 + off, len)).as("read-only off %d len %d", off, len)
                    .isEqualTo(expected);
        }
        assertThat(direct.position()).isEqualTo(37 + data.length); // by absolute index: position untouched
        assertThat(heap.position()).isZero();
    }

    @Test
    void encoderOutputIsIdenticalWithAndWithoutTheAccelerator() throws Exception {
        assumeTrue(NativeCrc64.available(), "no accelerator on this CPU");
        byte[] withNative = encode();
        long[] sums = lastSums;
        Crc64Acceleration.uninstall();
        byte[] inJava = encode();
        assertThat(withNative).isEqualTo(inJava);
        assertThat(sums).isEqualTo(lastSums);
        LtxDecoder.verify(new ByteArrayInputStream(withNative), "native.ltx"); // file checksum checked natively
        Crc64Acceleration.uninstall();
        LtxDecoder.verify(new ByteArrayInputStream(withNative), "java.ltx");
    }

    private long[] lastSums;

    /** An LTX file of 40 pages, half hashed by the encoder's single pass, half with separately computed checksums. */
    private byte[] encode() throws Exception {
        Random rnd = new Random(77);
        int ps = 4096;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, LtxHeader.of(0, ps, 100, 2, 2, 1_700_000_000_000L,
                Ltx.CHECKSUM_FLAG | 1));
        lastSums = new long[40];
        for (int i = 0; i < 40; i++) {
            byte[] page = new byte[ps];
            for (int j = 0; j < ps * 4 / 10; j++) {
                page[j] = (byte) rnd.nextInt();
            }
            long pgno = 1 + 2L * i;
            if (i % 2 == 0) {
                lastSums[i] = enc.writePageChecksummed(pgno, page, 0);
                assertThat(lastSums[i]).isEqualTo(Crc64.pageChecksum(pgno, page, 0, ps));
            } else {
                lastSums[i] = Crc64.pageChecksum(pgno, page, 0, ps);
                enc.writePage(pgno, page, 0, lastSums[i]);
            }
        }
        enc.finish(Ltx.CHECKSUM_FLAG | 2);
        return out.toByteArray();
    }

    @Test
    void disabledByThePropertyTheJavaTableStaysInUse() {
        assumeTrue(NativeCrc64.available(), "no accelerator on this CPU");
        System.setProperty(Crc64Acceleration.PROPERTY, "false");
        Crc64Acceleration.uninstall();
        assertThat(NativeCrc64.install()).isFalse();
        assertThat(Crc64.implementation()).isEqualTo("java");
        byte[] data = new byte[5000];
        new Random(3).nextBytes(data);
        assertThat(Crc64.update(7, data, 3, 4990)).isEqualTo(bitwise(7, data, 3, 4990));
        System.setProperty(Crc64Acceleration.PROPERTY, "true");
        assertThat(NativeCrc64.install()).isTrue();
        assertThat(Crc64.implementation()).isEqualTo("native-pclmul");
    }

    @Test
    void aMalformedWidthSettingIsNamedWithTheAcceptedValues() {
        assertThat(NativeCrc64.widthProblem(null, null)).isNull();
        assertThat(NativeCrc64.widthProblem(" 256 ", "")).isNull();
        assertThat(NativeCrc64.widthProblem("512", "128")).isNull();
        assertThat(NativeCrc64.widthProblem("wide", null)).isEqualTo("CRC-64: ignoring -Dltx4j.crc64.width=\"wide\":"
                + " the accepted values are 128, 256 and 512 (the widest register width in bits the folding may use,"
                + " capped at what the CPU runs)");
        assertThat(NativeCrc64.widthProblem(null, "1024")).startsWith("CRC-64: ignoring LTX4J_CRC64_WIDTH=\"1024\":");
        assertThat(NativeCrc64.widthProblem("64", "256x"))
                .startsWith("CRC-64: ignoring -Dltx4j.crc64.width=\"64\"; ignoring LTX4J_CRC64_WIDTH=\"256x\":");
    }

    /**
     * The Java side trims exactly the ASCII white space the C side's width_setting skips (it used String.strip, which
     * also trims Unicode spaces: "\u2003256" was accepted here and silently ignored by C).
     */
    @Test
    void aWidthSettingIsTrimmedOfAsciiWhiteSpaceOnlyAsTheCSideDoes() {
        assertThat(NativeCrc64.widthProblem("\t256" + (char) 0x0B + "\f\r\n ", null)).isNull();
        assertThat(NativeCrc64.widthProblem(null, "\u2003256")).startsWith("CRC-64: ignoring LTX4J_CRC64_WIDTH=");
        assertThat(NativeCrc64.widthProblem("128\u00a0", null)).startsWith("CRC-64: ignoring -Dltx4j.crc64.width=");
        assertThat(NativeCrc64.widthProblem("\u2003", null)).startsWith("CRC-64: ignoring -Dltx4j.crc64.width=");
        assertThat(NativeCrc64.asciiTrim(" \t")).isEmpty();
    }
}
