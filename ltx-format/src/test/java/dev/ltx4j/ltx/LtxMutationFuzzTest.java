package dev.ltx4j.ltx;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field probe round 7 (docs/field-probes.md, "Round 7: hostile and unusual inputs"): a deterministic mutation fuzzer
 * over real LTX files (the Go reference encoder's vectors, legacy frames included, and ltx4j-encoded files of every
 * page size, one with a page index larger than the 32 KiB tail read) fed to every reader of this module: the
 * streaming decoder (stream in random chunk sizes, and in place over an array), the random-access path
 * ({@link PageIndex#read} then {@link LtxFrame#decode} of every entry), {@link LtxRestorer#restore} and
 * {@link LtxRestorer#apply}. Required of every case: an {@link LtxFormatException} naming the file and a field, or
 * the original content exactly; no other exception; the two decoder forms agree; restore leaves no output behind
 * on a refusal; the bytes a reader allocates are bounded by the input's real size (a lying length allocates
 * nothing). The random-access path serves frames without the file checksum by design (the pagestore's
 * {@code FileVerifier} verifies the whole file first); what it would serve wrongly is counted, not failed.
 *
 * <p>Default 4,000 cases (restore and apply on every fourth); {@code -Dltx.fuzz.cases=N} and {@code -Dltx.fuzz.seed=S} for longer runs.
 */
class LtxMutationFuzzTest {
    private static final int CASES = Integer.getInteger("ltx.fuzz.cases", 4000);
    private static final long SEED = Long.getLong("ltx.fuzz.seed", 20261206L);
    /** Allocation allowed per reader call: fixed buffers (stream read-ahead, pages) plus a multiple of the input. */
    private static final long ALLOC_FIXED = 2L << 20;
    private static final long ALLOC_PER_BYTE = 8;

    @TempDir
    Path dir;

    /** A corpus file with what every reader made of it before mutation. */
    private record Base(String name, byte[] bytes, LtxMutator.Layout layout, TestLtx.Decoded decoded,
            byte[] restored, byte[] applied) {}

    private List<Base> corpus() throws IOException {
        List<byte[]> files = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String v : new String[] {"V1", "V2", "V3", "V4", "V5", "V6", "C1", "C2", "C3", "C4", "C5", "L1", "L2"}) {
            files.add(TestLtx.vector(v));
            names.add(v);
        }
        RandomLtx gen = new RandomLtx(SEED);
        int[] wanted = {512, 1024, 4096, 16384, 65536};
        for (int ps : wanted) {
            for (int tries = 0; tries < 500; tries++) {
                RandomLtx.Generated g = gen.next();
                if (g.header().pageSize() == ps && !g.pages().isEmpty()) {
                    files.add(g.bytes());
                    names.add("gen-" + ps + "-" + (g.header().isSnapshot() ? "snap" : "incr"));
                    break;
                }
            }
        }
        files.add(bigIndexSnapshot());
        names.add("big-index");
        List<Base> out = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            byte[] b = files.get(i);
            out.add(new Base(names.get(i), b, LtxMutator.Layout.of(b), TestLtx.decode(b, names.get(i)),
                    restoreOrNull(b, "base"), applyOrNull(b, "base")));
        }
        return out;
    }

    /** A 512-byte-page snapshot of 6,000 pages: its index (about 40 KB) is larger than the 32 KiB tail read. */
    private static byte[] bigIndexSnapshot() throws IOException {
        int n = 6000;
        Map<Long, byte[]> pages = new LinkedHashMap<>();
        for (long p = 1; p <= n; p++) {
            byte[] b = new byte[512];
            b[(int) (p % 512)] = (byte) p;
            pages.put(p, b);
        }
        LtxHeader h = LtxHeader.of(0, 512, n, 1, 1, 1000, 0);
        return TestLtx.encode(h, pages, TestLtx.rolling(512, pages));
    }

    @Test
    void mutatedFilesAreRefusedNamingTheFileOrReadExactly() throws Exception {
        List<Base> corpus = corpus();
        List<byte[]> others = corpus.stream().map(Base::bytes).toList();
        Random rnd = new Random(SEED);
        LtxMutator mutator = new LtxMutator(rnd, others);
        Map<String, Integer> outcomes = new TreeMap<>();
        Map<String, Integer> fields = new TreeMap<>();
        long[] maxRatio = {0};
        Assertions.assertTimeoutPreemptively(Duration.ofMinutes(10), () -> { // a hang guard, not a speed check
            for (int c = 0; c < CASES; c++) {
                Base base = corpus.get(rnd.nextInt(corpus.size()));
                if (base.name().equals("big-index") && rnd.nextInt(4) != 0) {
                    base = corpus.get(rnd.nextInt(corpus.size() - 1)); // 6,000 pages: a quarter of its share
                }
                LtxMutator.Mutation m = mutator.mutate(base.layout());
                String what = "case " + c + " (seed " + SEED + "): " + base.name() + " " + m.kind() + " " + m.detail();
                String name = "L0/" + base.name() + "-case" + c + ".ltx";
                int chunk = 1 + rnd.nextInt(rnd.nextBoolean() ? 7 : 70000);
                String stream = decodeOutcome(base, m.bytes(), name, chunk, what, false, maxRatio);
                String array = decodeOutcome(base, m.bytes(), name, chunk, what, true, maxRatio);
                assertThat(array).as(what + ": array and stream decoders agree").isEqualTo(stream);
                count(outcomes, "decode " + stream);
                if (stream.startsWith("refused ")) {
                    count(fields, stream.substring("refused ".length()));
                }
                count(outcomes, "random access " + randomAccess(base, m.bytes(), name, what, maxRatio));
                if (c % 4 == 0) { // restore and apply write and fsync a database: a quarter of the cases
                    count(outcomes, "restore " + restore(base, m.bytes(), name, what, stream));
                }
            }
        });
        System.out.println("LTX mutation fuzz, " + CASES + " cases, seed " + SEED + ": " + outcomes);
        System.out.println("refusals by field: " + fields);
        System.out.println("largest allocation per input byte beyond the fixed " + ALLOC_FIXED + ": " + maxRatio[0]);
    }

    /** "accepted", "accepted-equal" (changed bytes, same content) or "refused <field>"; fails on anything else. */
    private String decodeOutcome(Base base, byte[] bad, String name, int chunk, String what, boolean inPlace,
            long[] maxRatio) throws IOException {
        long before = allocated();
        try {
            LtxDecoder d = inPlace ? new LtxDecoder(bad, 0, bad.length, name) : new LtxDecoder(chunked(bad, chunk), name);
            LtxHeader h = d.header();
            byte[] buf = new byte[h.pageSize()];
            Map<Long, byte[]> want = base.decoded().pages();
            long pgno;
            int n = 0;
            String wrong = null;
            while ((pgno = d.readPage(buf, 0)) != 0) {
                byte[] w = want.get(pgno);
                if (wrong == null && (w == null || !Arrays.equals(w, buf))) {
                    wrong = "page " + pgno; // compared in place: the check allocates nothing per page
                }
                n++;
            }
            checkAllocation(before, bad.length, what + " decode", maxRatio);
            assertThat(h).as(what + ": accepted with another header").isEqualTo(base.decoded().header());
            assertThat(wrong).as(what + ": accepted and served wrong").isNull();
            assertThat(n).as(what + ": accepted with another page count").isEqualTo(want.size());
            return Arrays.equals(bad, base.bytes()) ? "accepted" : "accepted-equal";
        } catch (LtxFormatException e) {
            checkAllocation(before, bad.length, what + " decode", maxRatio);
            named(e, name, what);
            return "refused " + e.field().replaceAll("\\[\\d+]", "[]");
        } catch (IOException | RuntimeException | Error e) {
            throw new AssertionError(what + ": " + (inPlace ? "array" : "stream") + " decoder threw " + e, e);
        }
    }

    /**
     * The page index from the tail, then every frame by itself: "refused", "served" (every page as before) or
     * "served-unverified-different" (a lie only the file checksum catches: FileVerifier's job upstream).
     */
    private String randomAccess(Base base, byte[] bad, String name, String what, long[] maxRatio) {
        long before = allocated();
        try {
            PageIndex idx = PageIndex.read((off, len) -> {
                assertThat(off).as(what + ": range offset").isBetween(0L, (long) bad.length);
                assertThat(off + len).as(what + ": range end").isLessThanOrEqualTo(bad.length);
                return Arrays.copyOfRange(bad, (int) off, (int) (off + len));
            }, bad.length, name);
            LtxHeader h = LtxHeader.parse(bad, name).validate(name);
            byte[] page = new byte[h.pageSize()];
            boolean different = !h.equals(base.decoded().header()) || idx.size() != base.decoded().pages().size();
            for (int e = 0; e < idx.size(); e++) {
                LtxFrame.decode(bad, (int) idx.offset(e), idx.frameSize(e), idx.pgno(e), h.pageSize(), page, 0, name);
                byte[] want = base.decoded().pages().get(idx.pgno(e));
                different |= want == null || !Arrays.equals(want, page);
            }
            checkAllocation(before, bad.length, what + " random access", maxRatio);
            return different ? "served-unverified-different" : "served";
        } catch (LtxFormatException e) {
            checkAllocation(before, bad.length, what + " random access", maxRatio);
            named(e, name, what);
            return "refused";
        } catch (IOException | RuntimeException | Error e) {
            throw new AssertionError(what + ": random access threw " + e, e);
        }
    }

    /** Restore (a snapshot) or apply (any file) of the mutated file alone: the same database or a named refusal. */
    private String restore(Base base, byte[] bad, String name, String what, String decoded) throws IOException {
        boolean snapshot = base.decoded().header().isSnapshot();
        byte[] want = snapshot ? base.restored() : base.applied();
        Path out = dir.resolve("out.db");
        Files.deleteIfExists(out);
        try {
            if (snapshot) {
                LtxRestorer.restore(List.of(LtxSource.ofBytes(name, bad)), out);
            } else {
                LtxRestorer.apply(LtxSource.ofBytes(name, bad), out);
            }
            byte[] got = Files.readAllBytes(out);
            assertThat(decoded).as(what + ": restored what the decoder refuses").startsWith("accepted");
            assertThat(got).as(what + ": restored another database").isEqualTo(want);
            return "same";
        } catch (LtxFormatException e) {
            named(e, name, what);
            if (snapshot) {
                assertThat(out).as(what + ": a refused restore left its output").doesNotExist();
                try (var s = Files.list(dir)) {
                    assertThat(s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList())
                            .as(what + ": temporary file left").isEmpty();
                }
            }
            return want == null ? "refused-as-base" : "refused";
        } catch (IOException e) {
            // A header claiming more pages than the disk holds is refused before anything is written, naming it.
            if (!snapshot || e.getMessage() == null || !e.getMessage().startsWith("not enough space to restore")) {
                throw new AssertionError(what + ": restore threw " + e, e);
            }
            assertThat(e.getMessage()).as(what + ": the space refusal names the file").contains(name);
            assertThat(out).as(what + ": a refused restore left its output").doesNotExist();
            try (var s = Files.list(dir)) {
                assertThat(s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList())
                        .as(what + ": temporary file left").isEmpty();
            }
            return "refused-space";
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": restore threw " + e, e);
        }
    }

    private byte[] restoreOrNull(byte[] file, String tag) throws IOException {
        Path out = dir.resolve(tag + ".db");
        Files.deleteIfExists(out);
        try {
            if (LtxHeader.parse(file, "x").isSnapshot()) {
                LtxRestorer.restore(List.of(LtxSource.ofBytes("x", file)), out);
                return Files.readAllBytes(out);
            }
            return null;
        } catch (LtxFormatException e) {
            return null;
        }
    }

    private byte[] applyOrNull(byte[] file, String tag) throws IOException {
        Path out = dir.resolve(tag + "-apply.db");
        Files.deleteIfExists(out);
        try {
            LtxRestorer.apply(LtxSource.ofBytes("x", file), out);
            return Files.readAllBytes(out);
        } catch (LtxFormatException e) {
            return null; // e.g. a tracked incremental whose pre-apply state is not an empty database
        }
    }

    private static void named(LtxFormatException e, String name, String what) {
        assertThat(e.getMessage()).as(what + ": the error names the file").contains(name);
        assertThat(e.field()).as(what + ": the error names a field").isNotBlank();
        assertThat(e.detail()).as(what + ": the error says what is wrong").isNotBlank();
    }

    private static void count(Map<String, Integer> m, String k) {
        m.merge(k, 1, Integer::sum);
    }

    /** A stream that hands out at most {@code chunk} bytes per read, as a network stream does. */
    private static InputStream chunked(byte[] b, int chunk) {
        return new ByteArrayInputStream(b) {
            @Override
            public synchronized int read(byte[] dst, int off, int len) {
                return super.read(dst, off, Math.min(len, chunk));
            }
        };
    }

    private static void checkAllocation(long before, int inputLength, String what, long[] maxRatio) {
        long used = allocated() - before;
        if (before < 0 || used < 0) {
            return;
        }
        long beyond = Math.max(0, used - ALLOC_FIXED);
        maxRatio[0] = Math.max(maxRatio[0], beyond / Math.max(1, inputLength));
        assertThat(used).as(what + ": bytes allocated for a " + inputLength + "-byte input")
                .isLessThanOrEqualTo(ALLOC_FIXED + ALLOC_PER_BYTE * inputLength);
    }

    private static final Object MX;
    private static final Method ALLOCATED;

    static {
        Object mx = null;
        Method m = null;
        try { // reflection: the module under test does not read java.management
            mx = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            m = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // not a HotSpot JVM: allocation is not checked
        }
        MX = mx;
        ALLOCATED = m;
    }

    private static long allocated() {
        if (ALLOCATED == null) {
            return -1;
        }
        try {
            return (long) ALLOCATED.invoke(MX);
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }
}
