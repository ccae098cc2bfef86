package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.PageIndex;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestorePlanner;
import dev.ltx4j.replica.RestoreTarget;
import dev.ltx4j.replica.internal.DamagedFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Builds and advances page maps from replica files, reading only headers and page indexes (tail reads), never
 * page data. Merge rules (fixing the reference's W6): per page the file with the higher max TXID wins, ties to
 * the higher level; a snapshot (min TXID 1) replaces the map wholesale; a smaller commit removes only the pages
 * above it; new files are chained from the current TXID across every level, straddling files included, and a gap
 * is reported so the caller relists later instead of wedging. Thread-safe (stateless apart from the client).
 */
public final class ReplicaIndex {
    private final ReplicaClient client;

    public ReplicaIndex(ReplicaClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * Files up to this size are read whole in one GET instead of a header read and a tail read: the tail read
     * ({@link PageIndex#TAIL_READ}) of such a file already downloads all of it, so one request fewer costs no extra
     * byte, and the bytes also serve the file's verification read ({@link #onWholeFile}). Larger files keep the two
     * ranged reads: a whole GET would download (size - 32 KiB) more for one request saved, which pays only if the
     * file's pages are read later (docs/compaction-upload-reuse.md, "Small files at open").
     */
    public static final int WHOLE_FILE_READ = PageIndex.TAIL_READ;

    /** Where the reads of a restore plan's files run, up to {@link #loadWindow} ahead; null: one after another. */
    private volatile java.util.concurrent.Executor loadExecutor;
    private volatile int loadWindow = 1;

    /**
     * Reads the headers and page indexes of a restore plan's files on {@code executor}, up to {@code window} at a time
     * ahead of the one being applied (a cold open of thousands of small files is otherwise one round trip after
     * another); null runs them one by one on the caller.
     */
    public void loadInParallel(java.util.concurrent.Executor executor, int window) {
        this.loadExecutor = executor;
        this.loadWindow = Math.max(1, window);
    }

    /** Test switch (EngineFaults.trustUnverifiedChecksums): decide on headers without verifying the files first. */
    private volatile boolean trustUnverified;

    /**
     * Takes a growth file's shortfall as written without verifying it and the file before (the simulator's
     * {@code trust-unverified-checksums} switch; off in use). The open's continuity check still verifies before it
     * blames: that switch is about the follower's divergence, and its corpus seed is pinned to the open naming the
     * damaged file (field-probes.md, round 8).
     */
    public void trustUnverifiedChecksums(boolean v) {
        this.trustUnverified = v;
    }

    /** Told of the whole bytes of each small file {@link #load} read (the verifier keeps them); or null. */
    private volatile WholeFileSink sink;

    /** Receives the whole bytes of a small file {@link #load} read, so nothing downloads it again. */
    @FunctionalInterface
    public interface WholeFileSink {
        void fetched(LoadedFile file, byte[] bytes);
    }

    /** Where the whole bytes of small loaded files go (the page reader's verifier); null: dropped. */
    public void onWholeFile(WholeFileSink s) {
        this.sink = s;
    }

    /**
     * Reads header, page index and post-apply checksum of one file: one GET of the whole file up to
     * {@link #WHOLE_FILE_READ} bytes (handed to {@link #onWholeFile}), else two ranged reads.
     */
    public LoadedFile load(LtxFileInfo info) throws IOException {
        try {
            return loadChecked(info);
        } catch (LtxFormatException e) {
            throw DamagedFiles.explain(e, info, null);
        }
    }

    private LoadedFile loadChecked(LtxFileInfo info) throws IOException {
        return consistent(loadUnchecked(info));
    }

    /**
     * The header fields a state is built from (TXIDs, snapshot or not, Commit) are trusted before the file checksum
     * that covers them is verified (that needs the whole file; FileVerifier reads it when a page of it is first
     * needed), so a damaged header could build a wrong state: a Commit of 0 read the database as empty pages, a
     * minimum TXID of 1 cleared the page map (field-probes.md, round 7). Checked here against what the name and the
     * page index say, as a valid file always agrees; a Commit lowered within the pages held still passes.
     */
    static LoadedFile consistent(LoadedFile f) throws LtxFormatException {
        LtxHeader h = f.header();
        LtxFileInfo info = f.info();
        String name = info.toString();
        if (h.minTxid() != info.minTxid() || h.maxTxid() != info.maxTxid()) {
            throw new LtxFormatException(name, "header.minTxid", "its header says TXIDs " + h.range()
                    + " but the file is named for " + Txid.format(info.minTxid()) + "-" + Txid.format(info.maxTxid()));
        }
        PageIndex idx = f.index();
        long commit = h.commitPages();
        long lock = Ltx.lockPgno(h.pageSize());
        long top = idx.size() == 0 ? 0 : idx.pgno(idx.size() - 1);
        if (top > commit) {
            throw new LtxFormatException(name, "header.commit", "its header says the database has " + commit
                    + " pages after it, but its page index holds page " + top);
        }
        if (h.isSnapshot() && (top != (commit == lock ? commit - 1 : commit)
                || idx.size() != commit - (lock <= commit ? 1 : 0))) {
            throw new LtxFormatException(name, "header.commit", "a snapshot of " + commit + " pages, but its page index"
                    + " holds " + idx.size() + " pages up to page " + top);
        }
        return f;
    }

    /** Initialised on the first message only: SLF4J looks for providers (and may warn) when first used. */
    private static final class Log {
        static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ReplicaIndex.class);
    }

    /** Verifies whole files before a decision rests on their headers; throws naming the file that fails. */
    @FunctionalInterface
    public interface WholeVerify {
        void run() throws IOException;
    }

    /**
     * How many of the pages a file that directly follows {@code v} and grows the database adds it does not hold
     * (0: it holds them all, or it is not such a file).
     */
    static long absentNewPages(DatabaseVersion v, LoadedFile f) {
        LtxHeader h = f.header();
        long commit = h.commitPages();
        if (h.isSnapshot() || v.txid() == 0 || h.minTxid() != v.txid() + 1 || commit <= v.commit()) {
            return 0;
        }
        long lock = Ltx.lockPgno(h.pageSize());
        long expected = commit - v.commit() - (lock > v.commit() && lock <= commit ? 1 : 0);
        PageIndex idx = f.index();
        long held = 0;
        for (int i = idx.size() - 1; i >= 0 && idx.pgno(i) > v.commit(); i--) {
            held++;
        }
        return expected - held;
    }

    /**
     * A file that grows the database without holding every new page is valid when SQLite never wrote them (freelist
     * leaves of a rollback-journal transaction with secure_delete off: the reference encodes only dirty pages) but is
     * also what a damaged Commit, here or in the file before, looks like. So on a shortfall both files are verified
     * whole first ({@code verify}, which throws naming the one that fails); when both verify, the file is applied as
     * written, its absent pages reading as zeros, and a WARN says so (docs/replica-file-verification.md, "Headers used
     * before verification").
     */
    public static void checkGrowth(DatabaseVersion v, LoadedFile f, WholeVerify verify) throws IOException {
        long absent = absentNewPages(v, f);
        if (absent == 0) {
            return;
        }
        verify.run();
        Log.LOG.warn("replica file {} grows the database from {} to {} pages but does not hold {} of the new pages;"
                + " it verifies whole, so it was written so: they read as zeros, as its writer left them (SQLite does"
                + " not write freelist pages it never filled). If the database then reports corruption, its writer"
                + " lost those pages (Litestream 0.5.0-0.5.14 could, litestream PR #1323): the file as written is the"
                + " only copy, and the last state before it restores with: ltx4j restore --txid {} -o <new.db>"
                + " <replica URL>", f.info(), v.commit(), f.header().commitPages(), absent, Txid.format(v.txid()));
    }

    private LoadedFile loadUnchecked(LtxFileInfo info) throws IOException {
        if (info.size() > 0 && info.size() <= WHOLE_FILE_READ) {
            byte[] whole = client.readRange(info.level(), info.minTxid(), info.maxTxid(), 0, 0);
            if (whole.length == info.size()) {
                LoadedFile f = fromBytes(info, whole);
                WholeFileSink s = sink;
                if (s != null) {
                    s.fetched(f, whole);
                }
                return f;
            }
            // A short read, or an object of another size than listed: the ranged reads below decide.
        }
        return loadRanged(info);
    }

    /** Header, page index and post-apply checksum from a file's whole bytes. */
    private static LoadedFile fromBytes(LtxFileInfo info, byte[] whole) throws IOException {
        String name = info.toString();
        LtxHeader header = LtxHeader.parse(whole, 0, Ltx.HEADER_SIZE, name).validate(name);
        PageIndex index = PageIndex.read((offset, length) -> Arrays.copyOfRange(whole, (int) offset,
                (int) (offset + length)), whole.length, name);
        long post = readLongAt(whole, whole.length - Ltx.TRAILER_SIZE);
        return new LoadedFile(info, header, index, post);
    }

    private LoadedFile loadRanged(LtxFileInfo info) throws IOException {
        String name = info.toString();
        byte[] head = client.readRange(info.level(), info.minTxid(), info.maxTxid(), 0, Ltx.HEADER_SIZE);
        LtxHeader header = LtxHeader.parse(head, name).validate(name);
        byte[][] tail = new byte[1][];
        PageIndex index = PageIndex.read((offset, length) -> {
            byte[] b = client.readRange(info.level(), info.minTxid(), info.maxTxid(), offset, length);
            if (offset + length == info.size()) {
                tail[0] = b;
            }
            return b;
        }, info.size(), name);
        long post;
        if (tail[0] != null && tail[0].length >= Ltx.TRAILER_SIZE) {
            post = readLongAt(tail[0], tail[0].length - Ltx.TRAILER_SIZE);
        } else {
            post = readLongAt(client.readRange(info.level(), info.minTxid(), info.maxTxid(),
                    info.size() - Ltx.TRAILER_SIZE, 8), 0);
        }
        return new LoadedFile(info, header, index, post);
    }

    /** Reads a big-endian long. */
    public static long readLongAt(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    /**
     * The latest (or target) state of the replica, from its restore plan.
     *
     * @throws RestorePlanException when the replica cannot rebuild the target (empty, gap, not reached)
     */
    public DatabaseVersion open(RestoreTarget target) throws IOException, RestorePlanException {
        return openState(target).version();
    }

    /**
     * A state built from a restore plan and the plan's last file (whose max TXID is the state's TXID), with where
     * the plan's listings ended per level ({@link RestorePlanner.Plan#positions()}; null: unknown, list in full).
     */
    public record OpenedState(DatabaseVersion version, LoadedFile last, long[] positions) {
        public OpenedState(DatabaseVersion version, LoadedFile last) {
            this(version, last, null);
        }
    }

    /**
     * Like {@link #open(RestoreTarget)}, also answering the plan's last file. Every file of the plan must continue
     * the state before it: where both carry checksums, a file that starts right after the state must have the
     * state's checksum as its pre-apply checksum (a plan mixing two histories, e.g. a replica being replaced,
     * would otherwise build a state that never existed).
     *
     * @throws ReplicaChainException when two consecutive files of the plan do not continue each other
     * @throws ReplicaFileCorruptException when they do not because one of them is damaged (both are then verified)
     */
    public OpenedState openState(RestoreTarget target) throws IOException, RestorePlanException {
        return openState(target, List.of());
    }

    /** Most plans one {@link #openState(RestoreTarget, Collection)} makes (each after a planned file vanished). */
    static final int MAX_PLANS = 4;

    /**
     * Like {@link #openState(RestoreTarget)}, planning over the listings plus {@code known}: files the caller knows
     * exist(ed) although a listing may lag behind (a writer's own uploads, the files a state it holds was built
     * from), so a lagging listing cannot make a TXID the caller itself saw unreachable
     * ({@link RestorePlanner#planWithPositions(RestoreTarget, Collection)}). A planned file that turns out to be
     * gone is left out and the plan made again from a fresh listing, at most {@link #MAX_PLANS} plans in all.
     */
    public OpenedState openState(RestoreTarget target, Collection<LtxFileInfo> known)
            throws IOException, RestorePlanException {
        List<LtxFileInfo> stillKnown = new ArrayList<>(known);
        for (int plan = 1; ; plan++) {
            try {
                return openOnce(target, stillKnown);
            } catch (IOException e) {
                if (!isNotFound(e) || plan >= (known.isEmpty() ? 2 : MAX_PLANS)) {
                    throw e;
                }
                // A planned file was deleted between the listing and its read (compaction and retention replace
                // files by covering ones), or a known file is gone: plan again from the current listing.
            }
        }
    }

    /** Whether {@code e} (or a cause) says a replica file does not exist. */
    public static boolean isNotFound(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ReplicaNotFoundException) {
                return true;
            }
        }
        return false;
    }

    private OpenedState openOnce(RestoreTarget target, List<LtxFileInfo> known)
            throws IOException, RestorePlanException {
        RestorePlanner.Plan planned = new RestorePlanner(client).planWithPositions(target, known);
        List<LtxFileInfo> plan = planned.files();
        if (plan.get(0).minTxid() != 1) {
            throw new LtxFormatException(plan.get(0).toString(), "header.minTxid",
                    "the replica's restore plan does not start with a snapshot (TXID 1)");
        }
        DatabaseVersion v = DatabaseVersion.EMPTY;
        LoadedFile last = null;
        java.util.concurrent.Executor executor = loadExecutor;
        try (PlanLoads loads = new PlanLoads(plan, this::load, executor != null ? executor : Runnable::run,
                executor != null ? loadWindow : 1)) {
            for (LtxFileInfo info : plan) {
                LoadedFile f;
                try {
                    f = loads.next();
                } catch (IOException e) {
                    if (isNotFound(e)) {
                        known.removeIf(k -> k.level() == info.level() && k.filename().equals(info.filename()));
                    }
                    throw e;
                }
                String broken = continuity(v.txid(), v.checksum(), f);
                if (broken != null) {
                    // A flipped bit in either file's checksums looks like another history: name the damaged file.
                    FileVerifier strict = new FileVerifier(client, new PageCache(0), true);
                    if (last != null) {
                        strict.ensure(last.remoteFile(), 0);
                    }
                    strict.ensure(f.remoteFile(), 0);
                    throw new ReplicaChainException(broken);
                }
                DatabaseVersion next = apply(v, f); // its page size check first
                LoadedFile prev = last;
                checkGrowth(v, f, trustUnverified ? () -> { } : () -> {
                    FileVerifier strict = new FileVerifier(client, new PageCache(0), true);
                    if (prev != null) {
                        strict.ensure(prev.remoteFile(), 0);
                    }
                    strict.ensure(f.remoteFile(), 0);
                });
                v = next;
                last = f;
            }
        }
        return new OpenedState(v, last, planned.positions());
    }

    /**
     * Why {@code f} does not continue a state at {@code txid} with {@code checksum}, or null when it does or
     * cannot be checked (a snapshot, a file without checksums, an untracked state, a file not starting at
     * {@code txid + 1}).
     */
    public static String continuity(long txid, long checksum, LoadedFile f) {
        LtxHeader h = f.header();
        if (h.isSnapshot() || h.noChecksum() || h.preApplyChecksum() == 0 || checksum == 0
                || h.minTxid() != txid + 1 || h.preApplyChecksum() == checksum) {
            return null;
        }
        return "replica file " + f.info() + " has pre-apply checksum " + String.format("%016x", h.preApplyChecksum())
                + " but the state at TXID " + Txid.format(txid) + " has checksum "
                + String.format("%016x", checksum) + ": it continues a different history";
    }

    /** Applies one file to a state by the merge rules on the class. */
    public static DatabaseVersion apply(DatabaseVersion v, LoadedFile f) throws LtxFormatException {
        return apply(v, f, null);
    }

    /**
     * {@link #apply(DatabaseVersion, LoadedFile)}, recording with each page it applies that page's LTX page checksum,
     * {@code sums[i]} for the file's i-th index entry, in the same pass (a sync's own upload, whose checksums it
     * computed while encoding; a second pass over the pages cost ~0.02 us per page of a sync, docs/sync-cost.md).
     * {@code sums} null: none known (0).
     */
    public static DatabaseVersion apply(DatabaseVersion v, LoadedFile f, long[] sums) throws LtxFormatException {
        LtxHeader h = f.header();
        if (v.pageSize() != 0 && v.pageSize() != h.pageSize()) {
            throw new LtxFormatException(f.info().toString(), "header.pageSize", "page size " + h.pageSize()
                    + " differs from the database's " + v.pageSize());
        }
        RemoteFile rf = f.remoteFile();
        PageMap.Builder b = v.pages().edit();
        if (h.isSnapshot()) {
            b.clear();
        }
        PageIndex idx = f.index();
        for (int i = 0; i < idx.size(); i++) {
            long pgno = idx.pgno(i);
            PageRef old = b.get(pgno);
            if (old instanceof RemotePage op && !op.file().supersededBy(rf)) {
                continue;
            }
            b.put(pgno, new RemotePage(rf, idx.offset(i), idx.frameSize(i)), sums == null ? 0 : sums[i]);
        }
        boolean newer = Long.compareUnsigned(h.maxTxid(), v.txid()) >= 0;
        long commit = newer ? h.commitPages() : v.commit();
        b.truncate(commit);
        long txid = newer ? h.maxTxid() : v.txid();
        long checksum = newer ? (h.noChecksum() ? 0 : f.postApplyChecksum()) : v.checksum();
        return new DatabaseVersion(h.pageSize(), commit, txid, v.localSeq(), checksum, b.build());
    }

    /**
     * Per-level listing positions of a poller: the min TXID to seek each level from (0: list it all). Only the
     * polling thread uses one (callers serialise polls).
     */
    public static final class ListingPositions {
        private final long[] seek = new long[ReplicaClient.MAX_LEVEL + 1];

        public long seek(int level) {
            return seek[level];
        }

        public void advance(long[] next) {
            for (int i = 0; i < seek.length; i++) {
                if (Long.compareUnsigned(next[i], seek[i]) > 0) {
                    seek[i] = next[i];
                }
            }
        }

        /** Forgets every position: the next listing is complete. */
        public void clear() {
            Arrays.fill(seek, 0);
        }
    }

    /** Greedy chain from {@code reached}: each step takes the file reaching furthest (then smaller min, higher level). */
    public static List<LtxFileInfo> chain(List<LtxFileInfo> candidates, long reached) {
        List<LtxFileInfo> chain = new ArrayList<>();
        while (true) {
            LtxFileInfo best = null;
            for (LtxFileInfo info : candidates) {
                if (Long.compareUnsigned(info.minTxid(), reached + 1) > 0
                        || Long.compareUnsigned(info.maxTxid(), reached) <= 0) {
                    continue;
                }
                if (best == null || better(best, info)) {
                    best = info;
                }
            }
            if (best == null) {
                return chain;
            }
            chain.add(best);
            reached = best.maxTxid();
        }
    }

    private static boolean better(LtxFileInfo current, LtxFileInfo next) {
        int c = Long.compareUnsigned(next.maxTxid(), current.maxTxid());
        if (c != 0) {
            return c > 0;
        }
        c = Long.compareUnsigned(next.minTxid(), current.minTxid());
        if (c != 0) {
            return c < 0;
        }
        return next.level() > current.level();
    }
}
