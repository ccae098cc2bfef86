package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.LtxSummary;
import dev.ltx4j.ltx.PageIndex;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * Establishes the integrity of replica files before the {@link PageReader} serves any page of them. LTX v3 has no
 * per-page checksum, only the whole-file CRC-64 in the trailer, so a file is verified whole: streamed once through
 * the strict {@link LtxDecoder} (header, every frame, page index, trailer, file checksum) the first time any page
 * of it is needed, whatever its size; no page is served before that read finishes. What it learns is kept for the
 * life of the process per file identity (level, TXID range, size): the LTX page checksum of every page (8 bytes a
 * page), against which every later ranged read of a frame is checked, so bytes that changed at rest after
 * verification are caught too. The decoded pages warm the {@link PageCache} (up to half its capacity, plus the
 * page that triggered the verification), so the download is not wasted. Files this engine uploaded itself are
 * registered as verified by construction ({@link #registerOwn}). A corrupt file is remembered and fails every read
 * with {@link ReplicaFileCorruptException} until {@link #forgetFailures()} (refresh); a transient failure (network,
 * short stream) is not remembered. Concurrent readers of one file wait for the same verification (single flight).
 * Thread-safe.
 */
public final class FileVerifier {
    /** Initialised on the first message only: SLF4J looks for providers (and may warn) when first used. */
    private static final class Log {
        static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FileVerifier.class);
    }

    /** Reopenings of the verification stream after it ended before the file's size (a silent short read). */
    private static final int SHORT_STREAM_RESUMES = 3;
    private static final int FAILURES_KEPT = 8;
    /**
     * Bytes of whole small files an open or poll already downloaded ({@link #offer}), kept until their verification
     * uses them instead of a download; the oldest go first beyond this bound.
     */
    static final long OFFERED_BUDGET = 16L << 20;

    private final ReplicaClient client;
    private final PageCache cache;
    private final boolean enabled;
    /** Parallel ranged reads for large files (docs/hydration.md), or null: one stream per file. */
    private volatile ParallelFetcher fetcher;
    /** Per file: {@link Verified}, {@link ReplicaFileCorruptException} (remembered failure) or {@link Flight}. */
    private final Map<RemoteFile, Object> state = new HashMap<>();
    private final Deque<String> failures = new ArrayDeque<>();
    /** Whole files already downloaded, oldest first; guarded by {@code this}. */
    private final LinkedHashMap<RemoteFile, byte[]> offered = new LinkedHashMap<>();
    private long offeredBytes;
    private long filesVerified;
    private long bytesVerified;
    private long filesByConstruction;
    private long failureCount;
    private long pagesHeld;

    /** @param enabled false turns verification off (the {@code skip-page-verification} bug switch; tests only) */
    public FileVerifier(ReplicaClient client, PageCache cache, boolean enabled) {
        this.client = Objects.requireNonNull(client, "client");
        this.cache = Objects.requireNonNull(cache, "cache");
        this.enabled = enabled;
    }

    public boolean enabled() {
        return enabled;
    }

    /** Downloads verified files through {@code f}'s parallel ranged reads (null: one stream per file). */
    public void setFetcher(ParallelFetcher f) {
        this.fetcher = f;
    }

    /**
     * What verification established about one file: each page's LTX page checksum. Snapshots list pages 1..commit
     * without the lock page, so their checksums are found by page number; other files keep their page numbers.
     */
    public static final class Verified {
        /** {@link #timestamp()} of a file registered by construction (no header was decoded). */
        public static final long BY_CONSTRUCTION = Long.MIN_VALUE;
        private final int[] pgnos;
        private final long[] sums;
        private final long lockPgno;
        private final long timestamp;

        Verified(int[] pgnos, long[] sums, long lockPgno, long timestamp) {
            this.pgnos = pgnos;
            this.sums = sums;
            this.lockPgno = lockPgno;
            this.timestamp = timestamp;
        }

        /**
         * The header timestamp the verified bytes carry (covered by the file checksum), or {@link #BY_CONSTRUCTION}
         * for a file this engine uploaded (registered without a read: its own stamp is trusted). Time travel
         * resolves a time by it (docs/time-travel.md, "Verified commit times").
         */
        public long timestamp() {
            return timestamp;
        }

        /** The verified LTX page checksum of {@code pgno}; 0 when the file holds no such page or it is not known. */
        public long checksum(long pgno) {
            int i;
            if (pgnos == null) {
                long ordinal = pgno < lockPgno ? pgno - 1 : pgno - 2;
                i = pgno == lockPgno || ordinal < 0 || ordinal >= sums.length ? -1 : (int) ordinal;
            } else {
                i = pgno < 1 || pgno > 0xFFFFFFFFL ? -1 : PageIndex.unsignedSearch(pgnos, (int) pgno);
            }
            return i < 0 ? 0 : sums[i];
        }

        int pages() {
            return sums.length;
        }
    }

    /** Counters for {@code litestream_status()}. */
    public record Stats(boolean enabled, long filesVerified, long bytesVerified, long filesByConstruction,
            long verifying, long failureCount, long pagesHeld, List<String> failures) {}

    private static final class Flight {
        final CountDownLatch done = new CountDownLatch(1);
        volatile Verified result;
        volatile IOException error;
    }

    /**
     * Returns what is known of {@code file}, verifying it first when nothing is (the calling thread downloads it,
     * concurrent callers for the same file wait for that one download).
     *
     * @param wanted the page the caller is about to read (its decoded image is cached last, so it stays), or 0
     * @return the verification, or null when verification is disabled
     * @throws ReplicaFileCorruptException when the file is corrupt (now or remembered from earlier)
     * @throws IOException when the file could not be read (not remembered; the next read tries again)
     */
    public Verified ensure(RemoteFile file, long wanted) throws IOException {
        return ensure(file, wanted, true);
    }

    /**
     * As {@link #ensure(RemoteFile, long)}; {@code warm} false keeps the decoded pages out of the page cache (a
     * file verified for its header, such as time travel's next point, whose pages no one is about to read).
     */
    public Verified ensure(RemoteFile file, long wanted, boolean warm) throws IOException {
        if (!enabled) {
            return null;
        }
        Flight mine = null;
        Flight theirs = null;
        synchronized (this) {
            Object s = state.get(file);
            if (s instanceof Verified v) {
                return v;
            }
            if (s instanceof ReplicaFileCorruptException e) {
                throw new ReplicaFileCorruptException(file, e.reason(), e);
            }
            if (s instanceof Flight f) {
                theirs = f;
            } else {
                mine = new Flight();
                state.put(file, mine);
            }
        }
        if (theirs != null) {
            return await(file, theirs);
        }
        try {
            Verified v = verify(file, wanted, warm);
            synchronized (this) {
                state.put(file, v);
                filesVerified++;
                bytesVerified += file.sizeBytes();
                pagesHeld += v.pages();
            }
            mine.result = v;
            return v;
        } catch (ReplicaFileCorruptException e) {
            fail(file, e);
            mine.error = e;
            throw e;
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                state.remove(file);
            }
            mine.error = e instanceof IOException io ? io
                    : new IOException("verification of replica file " + file.name() + " failed: " + e, e);
            throw e;
        } finally {
            mine.done.countDown();
        }
    }

    private static Verified await(RemoteFile file, Flight f) throws IOException {
        boolean interrupted = false;
        while (true) {
            try {
                f.done.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (f.result != null) {
            return f.result;
        }
        IOException e = f.error;
        if (e instanceof ReplicaFileCorruptException c) {
            throw new ReplicaFileCorruptException(file, c.reason(), c);
        }
        throw e;
    }

    /**
     * Checks a page decoded from a ranged read of a verified file against the checksum verification recorded.
     *
     * @throws ReplicaFileCorruptException when it differs (the bytes changed after verification); the file is
     *     then remembered as corrupt
     */
    public void check(RemoteFile file, Verified v, long pgno, byte[] page) throws ReplicaFileCorruptException {
        if (v == null) {
            return;
        }
        long want = v.checksum(pgno);
        if (want == 0) {
            return; // own upload whose page checksum was not recorded
        }
        long got = Crc64.pageChecksum(pgno, page, 0, file.pageSize());
        if (got != want) {
            throw corrupt(file, String.format("page %d read back with checksum %016x but the verified file holds"
                    + " %016x (the stored bytes changed after verification)", pgno, got, want), null);
        }
    }

    /** Remembers {@code file} as corrupt for {@code reason}; returns the exception to throw. */
    public ReplicaFileCorruptException corrupt(RemoteFile file, String reason, Throwable cause) {
        ReplicaFileCorruptException e = new ReplicaFileCorruptException(file, reason, cause);
        fail(file, e);
        return e;
    }

    /**
     * Records a file this engine uploaded as verified by construction: it built the bytes, so its page index and
     * page checksums are known without reading it back.
     *
     * @param sums each index entry's LTX page checksum (0: not known, that page is not checked on reads)
     */
    public void registerOwn(RemoteFile file, PageIndex index, long[] sums) {
        if (!enabled) {
            return;
        }
        int[] pgnos = new int[index.size()];
        for (int i = 0; i < pgnos.length; i++) {
            pgnos[i] = (int) index.pgno(i);
        }
        Verified v = new Verified(pgnos, Arrays.copyOf(sums, pgnos.length), 0, Verified.BY_CONSTRUCTION);
        synchronized (this) {
            if (!(state.get(file) instanceof Verified)) {
                state.put(file, v);
                filesByConstruction++;
                pagesHeld += v.pages();
            }
        }
    }

    /**
     * Keeps the whole bytes of {@code file}, already downloaded by the open or poll that loaded it (one GET of a small
     * file, {@link ReplicaIndex#load}), so its verification reads them instead of downloading the file again. They
     * are verified like a download (a mismatch is corruption); bytes shorter than the file are completed from the
     * store. Ignored when the file is verified already or verification is off; bounded by {@link #OFFERED_BUDGET}.
     */
    public void offer(RemoteFile file, byte[] bytes) {
        if (!enabled || bytes.length != file.sizeBytes() || bytes.length > OFFERED_BUDGET / 4) {
            return;
        }
        synchronized (this) {
            if (state.containsKey(file)) {
                return;
            }
            byte[] older = offered.remove(file); // the newest download is what the store holds now
            if (older != null) {
                offeredBytes -= older.length;
            }
            offered.put(file, bytes);
            offeredBytes += bytes.length;
            Iterator<byte[]> it = offered.values().iterator();
            while (offeredBytes > OFFERED_BUDGET && it.hasNext()) {
                offeredBytes -= it.next().length;
                it.remove();
            }
        }
    }

    /** The offered bytes of {@code file}, taken out (used once); null when none. */
    private synchronized byte[] takeOffered(RemoteFile file) {
        byte[] b = offered.remove(file);
        if (b != null) {
            offeredBytes -= b.length;
        }
        return b;
    }

    /** Forgets remembered failures (refresh/reopen after a damaged file was replaced): they are verified again. */
    public synchronized void forgetFailures() {
        state.values().removeIf(s -> s instanceof ReplicaFileCorruptException);
        failures.clear();
    }

    public synchronized Stats stats() {
        long verifying = state.values().stream().filter(s -> s instanceof Flight).count();
        return new Stats(enabled, filesVerified, bytesVerified, filesByConstruction, verifying, failureCount,
                pagesHeld, List.copyOf(failures));
    }

    private synchronized void fail(RemoteFile file, ReplicaFileCorruptException e) {
        if (state.get(file) instanceof Verified v) {
            pagesHeld -= v.pages();
        }
        state.put(file, e);
        failureCount++;
        // Once per damaged file: it stays remembered (and reads of it fail) until forgetFailures().
        Log.LOG.warn("replica file {} is corrupt: {}; reads of its pages fail until the database is refreshed or"
                + " reopened", file.name(), e.reason());
        failures.addLast(file.name() + ": " + e.reason());
        while (failures.size() > FAILURES_KEPT) {
            failures.removeFirst();
        }
    }

    // ------------------------------------------------------------------------------------------ verification

    private Verified verify(RemoteFile file, long wanted, boolean warming) throws IOException {
        ResumingStream in = new ResumingStream(file, takeOffered(file));
        int ps = file.pageSize();
        long budget = warming ? cache.capacityBytes() / 2 : 0;
        List<byte[]> warm = new ArrayList<>();
        byte[] wantedImage = null;
        int wantedOrdinal = -1;
        int[] pgnos = new int[64];
        long[] sums = new long[64];
        int n = 0;
        LtxHeader h;
        LtxSummary summary;
        try (in) {
            LtxDecoder d = new LtxDecoder(in, file.name());
            h = d.header();
            if (h.pageSize() != ps || h.minTxid() != file.minTxid() || h.maxTxid() != file.maxTxid()) {
                throw new ReplicaFileCorruptException(file, "its header says page size " + h.pageSize() + ", TXIDs "
                        + h.range() + " but the file was indexed with page size " + ps, null);
            }
            byte[] page = new byte[ps];
            long pgno;
            while ((pgno = d.readPage(page, 0)) != 0) {
                if (n == sums.length) {
                    sums = Arrays.copyOf(sums, n * 2);
                    pgnos = Arrays.copyOf(pgnos, n * 2);
                }
                pgnos[n] = (int) pgno;
                sums[n] = Crc64.pageChecksum(pgno, page, 0, ps);
                if ((long) (warm.size() + 1) * ps <= budget) {
                    warm.add(page.clone());
                } else if (pgno == wanted) {
                    wantedImage = page.clone();
                    wantedOrdinal = n;
                }
                n++;
            }
            summary = d.summary();
        } catch (LtxFormatException e) {
            if (in.endedShort()) {
                throw new ReplicaTransientException("short read while verifying replica file " + file.name() + ": the"
                        + " stream ended after " + in.consumed() + " of " + file.sizeBytes() + " bytes", e);
            }
            throw new ReplicaFileCorruptException(file, e.getMessage(), e);
        }
        if (summary.size() != file.sizeBytes()) {
            throw new ReplicaFileCorruptException(file, "it holds " + summary.size() + " bytes but was listed with "
                    + file.sizeBytes(), null);
        }
        // Verified: the decoded pages may now be served.
        PageIndex idx = summary.pageIndex();
        for (int i = 0; i < warm.size(); i++) {
            cache.put(new RemotePage(file, idx.offset(i), idx.frameSize(i)), warm.get(i));
        }
        if (wantedImage != null) {
            cache.put(new RemotePage(file, idx.offset(wantedOrdinal), idx.frameSize(wantedOrdinal)), wantedImage);
        }
        sums = Arrays.copyOf(sums, n);
        return h.isSnapshot() ? new Verified(null, sums, Ltx.lockPgno(ps), h.timestamp())
                : new Verified(Arrays.copyOf(pgnos, n), sums, 0, h.timestamp());
    }

    /**
     * The file's bytes in one stream; a stream that ends before the file's size (a silent short read) is reopened
     * where it stopped a few times, and {@link #endedShort()} tells when it still ended early.
     */
    private final class ResumingStream extends InputStream {
        private final RemoteFile file;
        private InputStream current;
        private long consumed;
        private int resumes;
        private boolean ended;

        /** @param fetched the file's bytes already downloaded (read first, without a request), or null */
        ResumingStream(RemoteFile file, byte[] fetched) {
            this.file = file;
            this.current = fetched == null ? null : new ByteArrayInputStream(fetched);
        }

        long consumed() {
            return consumed;
        }

        /**
         * Whether the stream itself ended (after its resumes) before the listed size. A decoder that stops early on
         * damaged bytes leaves the stream unfinished: that is corruption, not a short read.
         */
        boolean endedShort() {
            return ended && consumed < file.sizeBytes();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (!ended) {
                if (consumed >= file.sizeBytes()) {
                    ended = true; // the listed size is all that is read: a longer object fails the decoder's checks
                    break;
                }
                if (current == null) {
                    ParallelFetcher f = fetcher;
                    current = f != null ? f.open(file, consumed, file.sizeBytes() - consumed)
                            : client.openFile(file.level(), file.minTxid(), file.maxTxid(), consumed,
                                    file.sizeBytes() - consumed);
                }
                int n = current.read(b, off, (int) Math.min(len, file.sizeBytes() - consumed));
                if (n > 0) {
                    consumed += n;
                    return n;
                }
                current.close();
                current = null;
                if (resumes++ >= SHORT_STREAM_RESUMES) {
                    ended = true;
                }
            }
            return -1;
        }

        @Override
        public void close() throws IOException {
            if (current != null) {
                current.close();
                current = null;
            }
        }
    }
}
