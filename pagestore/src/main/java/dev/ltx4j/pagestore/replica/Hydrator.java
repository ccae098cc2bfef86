package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.storage.SecureFiles;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestoreTarget;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a complete local copy of a database (a plain SQLite file) in step with the replica, and serves page reads
 * from it. Design and proofs: docs/hydration.md.
 *
 * <p><b>Which pages are served.</b> The hydrator keeps, per page, the replica frame whose image the file holds (its
 * <em>source</em>, a {@link PageMap}). A page of a pinned version {@code v} whose frame is {@code rp} is served from
 * the file only when the source is {@code rp} itself, or when {@code rp}'s file ends at or before the source's file
 * and the source's file ends at or before {@code v}'s TXID: then no write to the page happened between the two, so
 * the images are equal. A version pinned before the file moved on therefore reads the pages that changed since from
 * the replica path, never the newer image. A page being rewritten has no source while it is written (readers check
 * the source again after reading, so a torn read is discarded), and gets its new source only after the replica
 * file it came from has been verified whole (the LTX file checksum at the end of the stream).
 *
 * <p><b>Steps.</b> {@link #step} brings the file to a target version: it downloads, whole and streaming, each
 * replica file holding pages the file lacks (never one request per page), writes those pages, and once nothing is
 * missing checks the file's LTX database checksum against the target's post-apply checksum (where the replica
 * tracks it), syncs the file and writes the {@link HydrationSidecar}. A replica file deleted underneath (compaction,
 * retention) is resolved by planning the replica's latest state again through whatever files exist. After a
 * restart the file is reused only when its sidecar parses, its contents have the sidecar's checksum, and the
 * replica still has the sidecar's TXID with that checksum; anything else rebuilds it.
 *
 * <p>Threads: one caller of {@link #step} at a time (the hydration lane); {@link #read} from any thread.
 *
 * <p>Serving, planning and the write protocol stay together here: they share the sources map and its publication
 * order (unpublish, write, verify, publish). The lock file is {@link HydrationLock}, the strict download
 * {@link ReplicaFileStream}.
 */
public final class Hydrator implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(Hydrator.class);

    private final ReplicaClient client;
    private final ReplicaIndex index;
    private final Path path;
    private final HydrationFaults faults;
    private final LongAdder served = new LongAdder();
    private volatile ParallelFetcher fetcher;
    /** Whole small files the engine already downloaded (its open, its polls). */
    private final OfferedFiles offered = new OfferedFiles(OFFERED_BUDGET);

    private HydrationLock lock;
    private volatile FileChannel channel;
    private volatile int pageSize;
    /** Per page: the frame whose image the file holds. Replaced whole (copy on write) so readers see one map. */
    private volatile PageMap sources = PageMap.EMPTY;
    /** The engine lineage the sources belong to; reads of another lineage are never served. */
    private volatile long lineage;
    private volatile boolean closed;

    // Owned by the stepping thread.
    /** Per page: the LTX page checksum of what the file holds, and which pages are not zeros. */
    private final HydratedPages held = new HydratedPages();
    private long commit;
    private boolean sidecarPresent;
    private long failedFreshTxid = -1;

    // Status (written by the stepping thread).
    private volatile String state = "starting";
    private volatile long txid;
    private volatile long targetTxid;
    private volatile long bytesDone;
    private volatile long bytesTotal;
    private volatile String lastError;
    private volatile long filesApplied;
    private volatile long rebuilds;
    private volatile boolean resumed;

    public Hydrator(ReplicaClient client, Path path, HydrationFaults faults) {
        this.client = Objects.requireNonNull(client, "client");
        this.index = new ReplicaIndex(client);
        this.path = path.toAbsolutePath();
        this.faults = Objects.requireNonNull(faults, "faults");
    }

    public Path path() {
        return path;
    }

    /** Downloads files through {@code f}'s parallel ranged reads (null: one stream per file). */
    public void setFetcher(ParallelFetcher f) {
        this.fetcher = f;
    }

    /** Bytes of whole small files kept for {@link #offer} (the oldest go first beyond it). */
    static final long OFFERED_BUDGET = 16L << 20;

    /** Whole bytes of a small file the engine downloaded anyway: applied from them (decoded as strictly), not fetched. */
    public void offer(RemoteFile file, byte[] bytes) {
        offered.offer(file, bytes);
    }

    /** A page source for readers of {@code lineage}: pages of any other lineage are never served. */
    public LocalPageSource forLineage(long lineage) {
        return (v, pgno, rp, dst) -> read(lineage, v, pgno, rp, dst);
    }

    /** Whether the file's image for a page with source {@code src} is the image of {@code rp} in a version at {@code vTxid}. */
    static boolean servable(PageRef src, RemotePage rp, long vTxid) {
        if (!(src instanceof RemotePage s)) {
            return false;
        }
        if (s.equals(rp)) {
            return true;
        }
        long smax = s.file().maxTxid();
        return Long.compareUnsigned(rp.file().maxTxid(), smax) <= 0 && Long.compareUnsigned(smax, vTxid) <= 0;
    }

    boolean read(long ofLineage, DatabaseVersion v, long pgno, RemotePage rp, byte[] dst) {
        FileChannel ch = channel;
        int ps = pageSize;
        if (ch == null || closed || ofLineage != lineage || v.pageSize() != ps) {
            return false;
        }
        PageMap before = sources;
        PageRef src = before.get(pgno);
        if (faults.ignorePinnedVersion() ? src == null : !servable(src, rp, v.txid())) {
            return false;
        }
        try {
            ByteBuffer bb = ByteBuffer.wrap(dst, 0, ps);
            long pos = (pgno - 1) * ps;
            while (bb.hasRemaining()) {
                if (ch.read(bb, pos + bb.position()) < 0) {
                    return false;
                }
            }
        } catch (IOException e) {
            return false; // closed underneath, or an I/O error: the replica path serves it
        }
        PageMap after = sources;
        if (after != before && after.get(pgno) != src) {
            return false; // rewritten while we read: the bytes may be torn
        }
        served.increment();
        return true;
    }

    /** Brings the file towards {@code target} (see the class comment); never throws, failures go to the status. */
    public HydrationStatus step(DatabaseVersion target, long ofLineage, Instant now) {
        return step(target, ofLineage, now, Integer.MAX_VALUE);
    }

    /** Like {@link #step(DatabaseVersion, long, Instant)}, applying at most {@code maxFiles} replica files. */
    public synchronized HydrationStatus step(DatabaseVersion target, long ofLineage, Instant now, int maxFiles) {
        if (closed) {
            return status();
        }
        try {
            if (channel == null) {
                open(target);
            }
            if (ofLineage != lineage) {
                sources = PageMap.EMPTY; // another history: nothing in the file is known to match it
                lineage = ofLineage;
                txid = 0; // and the file's TXID means nothing in it: catch up whatever the new TXID is
                failedFreshTxid = -1;
            }
            if (target.pageSize() != 0 && target.txid() != 0 && target.txid() != failedFreshTxid) {
                if (pageSize != target.pageSize()) {
                    if (pageSize != 0 && commit > 0) {
                        reset("the database's page size changed from " + pageSize + " to " + target.pageSize());
                    }
                    pageSize = target.pageSize();
                }
                catchUp(target, maxFiles, true);
            }
            lastError = null;
        } catch (IOException | RuntimeException | RestorePlanException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            if (!Objects.equals(lastError, msg)) {
                LOG.warn("hydration of {} failed: {}; reads go to the replica, retrying", path, msg);
            }
            lastError = msg;
            state = closed ? "closed" : "failed";
        }
        return status();
    }

    public HydrationStatus status() {
        return new HydrationStatus(state, txid, targetTxid, bytesDone, bytesTotal, path.toString(), lastError,
                filesApplied, served.sum(), rebuilds, resumed);
    }

    // ------------------------------------------------------------------------------------------ open and reuse

    private void open(DatabaseVersion target) throws IOException {
        SecureFiles.createMissing(path.getParent());
        lock = HydrationLock.acquire(path);
        SecureFiles.checkExistingFile(path);
        FileChannel ch = FileChannel.open(path, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE), SecureFiles.ownerOnlyFile(path));
        channel = ch;
        HydrationSidecar sc;
        try {
            sc = HydrationSidecar.read(path);
        } catch (IOException e) {
            reset(e.getMessage());
            return;
        }
        if (sc == null) {
            if (ch.size() > 0) {
                reset("it has no sidecar (a crash during an update, or it never completed)");
            }
            return;
        }
        sidecarPresent = true;
        String why = new HydrationReuse(client, index, path, channel, held, faults.trustSidecar()).why(sc, target);
        if (why != null) {
            reset(why);
            return;
        }
        // Reused: pages whose latest frame ends at or before the file's TXID hold that frame's image.
        pageSize = sc.pageSize();
        commit = sc.commit();
        PageMap.Builder b = PageMap.EMPTY.edit();
        long upTo = Math.min(commit, target.commit());
        for (long p = 1; p <= upTo; p++) {
            if (target.pages().get(p) instanceof RemotePage rp
                    && Long.compareUnsigned(rp.file().maxTxid(), sc.txid()) <= 0) {
                b.put(p, rp, held.sum(p));
            }
        }
        sources = b.build();
        txid = sc.txid();
        resumed = true;
        state = "ready";
        LOG.info("hydrated file {} reused at TXID {} after checking it against the replica", path,
                Txid.format(sc.txid()));
    }

    /** Forgets everything the file held: it is rebuilt from the replica. */
    private void reset(String why) throws IOException {
        LOG.info("hydrated file {} is rebuilt: {}", path, why);
        rebuilds++;
        sources = PageMap.EMPTY;
        HydrationSidecar.remove(path);
        sidecarPresent = false;
        channel.truncate(0);
        held.clear();
        commit = 0;
        txid = 0;
        resumed = false;
        bytesDone = 0;
        bytesTotal = 0;
    }

    // ------------------------------------------------------------------------------------------ catching up

    /** Replica files holding pages the file lacks for {@code target}, each with those pages; null: not remote. */
    private Map<RemoteFile, List<Long>> plan(DatabaseVersion target, List<Long> zero) {
        Map<RemoteFile, List<Long>> need = new LinkedHashMap<>();
        PageMap tp = target.pages();
        PageMap sp = sources;
        for (long p = 1; p <= target.commit(); p++) {
            PageRef r = tp.get(p);
            if (r instanceof RemotePage rp) {
                if (!servable(sp.get(p), rp, target.txid())) {
                    need.computeIfAbsent(rp.file(), f -> new ArrayList<>()).add(p);
                }
            } else if (r == null) {
                if (held.written(p)) {
                    zero.add(p);
                }
            } else {
                return null; // unsynced local pages (write mode): wait until they are in the replica
            }
        }
        return need;
    }

    private void catchUp(DatabaseVersion target, int maxFiles, boolean mayReplan)
            throws IOException, RestorePlanException {
        targetTxid = target.txid();
        if (txid != 0 && Long.compareUnsigned(txid, target.txid()) > 0) {
            return; // the file is ahead of the engine (it planned past a deleted file): wait for the engine
        }
        if (txid == target.txid() && commit == target.commit() && "ready".equals(state)) {
            return;
        }
        List<Long> zero = new ArrayList<>();
        Map<RemoteFile, List<Long>> need = plan(target, zero);
        if (need == null) {
            return;
        }
        if (need.isEmpty() && zero.isEmpty() && commit <= target.commit()) {
            finish(target);
            return;
        }
        if ("ready".equals(state)) {
            bytesDone = 0;
        }
        state = "hydrating";
        long remaining = 0;
        for (RemoteFile f : need.keySet()) {
            remaining += f.sizeBytes();
        }
        bytesTotal = bytesDone + remaining;
        if (sidecarPresent) {
            HydrationSidecar.remove(path); // the file is about to change: after a crash from here, rebuild
            sidecarPresent = false;
        }
        txid = 0;
        if (commit > target.commit()) {
            unpublish(pagesAbove(target.commit()));
            channel.truncate(target.commit() * pageSize);
            held.truncate(target.commit());
            commit = target.commit();
        }
        if (!zero.isEmpty()) {
            unpublish(zero);
            byte[] zeros = new byte[pageSize];
            for (long p : zero) {
                writePage(p, zeros);
                held.zeroed(p);
            }
        }
        List<Map.Entry<RemoteFile, List<Long>>> files = new ArrayList<>(need.entrySet());
        files.sort(Comparator.comparing((Map.Entry<RemoteFile, List<Long>> e) -> e.getKey().maxTxid(),
                Long::compareUnsigned));
        int applied = 0;
        for (Map.Entry<RemoteFile, List<Long>> e : files) {
            if (applied++ >= maxFiles) {
                return;
            }
            try {
                apply(e.getKey(), e.getValue(), target);
            } catch (ReplicaNotFoundException gone) {
                if (!mayReplan) {
                    throw gone;
                }
                // Compacted or deleted underneath: plan the replica's latest state through the files that exist.
                DatabaseVersion now = index.open(RestoreTarget.latest());
                if (Long.compareUnsigned(now.txid(), target.txid()) < 0 || now.pageSize() != pageSize) {
                    throw gone;
                }
                LOG.debug("hydration of {}: {} is gone; replanning at TXID {}", path, e.getKey(),
                        Txid.format(now.txid()));
                catchUp(now, maxFiles - applied, false);
                return;
            }
        }
        commit = Math.max(commit, target.commit());
        List<Long> none = new ArrayList<>();
        Map<RemoteFile, List<Long>> left = plan(target, none);
        if (left != null && left.isEmpty() && none.isEmpty()) {
            finish(target);
        }
    }

    private List<Long> pagesAbove(long newCommit) {
        List<Long> out = new ArrayList<>();
        for (long p = newCommit + 1; p <= commit; p++) {
            out.add(p);
        }
        return out;
    }

    /** Removes the sources of {@code pages} before they are rewritten (readers then skip them). */
    private void unpublish(List<Long> pages) {
        PageMap.Builder b = sources.edit();
        for (long p : pages) {
            b.put(p, null);
        }
        sources = b.build();
    }

    private void writePage(long pgno, byte[] page) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(page, 0, pageSize);
        long pos = (pgno - 1) * pageSize;
        while (bb.hasRemaining()) {
            channel.write(bb, pos + bb.position());
        }
        held.wrote(pgno, Crc64.pageChecksum(pgno, page, 0, pageSize));
    }

    /** Downloads {@code file} whole through the strict decoder and writes {@code pages} of it. */
    private void apply(RemoteFile file, List<Long> pages, DatabaseVersion target) throws IOException {
        unpublish(pages);
        long[] want = pages.stream().mapToLong(Long::longValue).sorted().toArray();
        boolean[] got = new boolean[want.length];
        long before = bytesDone;
        try {
            ReplicaFileStream.readPages(file, pageSize, offered.take(file), fetcher, client,
                    read -> bytesDone = before + read, (pgno, page) -> {
                        if (closed) {
                            throw new IOException("hydration of " + path + " stopped: the database was closed");
                        }
                        int i = Arrays.binarySearch(want, pgno);
                        if (i >= 0) {
                            writePage(pgno, page);
                            got[i] = true;
                            faults.at(HydrationFaults.Point.AFTER_PAGE_WRITE);
                        }
                    });
        } finally {
            bytesDone = before + file.sizeBytes();
        }
        // The file verified whole: its pages may now be served.
        PageMap.Builder b = sources.edit();
        for (int i = 0; i < want.length; i++) {
            if (!got[i]) {
                sources = b.build();
                throw new ReplicaFileCorruptException(file, "it does not hold page " + want[i]
                        + " that its page index listed", null);
            }
            b.put(want[i], target.pages().get(want[i]), held.sum(want[i]));
        }
        sources = b.build();
        filesApplied++;
        faults.at(HydrationFaults.Point.AFTER_FILE_APPLIED);
    }

    /** The file holds {@code target}: check its checksum, sync it, record it in the sidecar. */
    private void finish(DatabaseVersion target) throws IOException {
        offered.clear(); // what the file holds now needs none of them; later offers are of newer files
        long size = target.commit() * pageSize;
        if (channel.size() > size) {
            channel.truncate(size);
        } else if (channel.size() < size) {
            channel.write(ByteBuffer.wrap(new byte[1]), size - 1); // the last page is all zeros: extend sparse
        }
        commit = target.commit();
        long sum = held.checksum(pageSize, commit);
        if (target.checksum() != 0 && sum != target.checksum()) {
            String msg = String.format("hydrated file at TXID %s has checksum %016x but the replica's state has"
                    + " %016x", Txid.format(target.txid()), sum, target.checksum());
            boolean fresh = !resumed;
            reset(msg);
            if (fresh) {
                failedFreshTxid = target.txid(); // downloading the same files again cannot help; wait for a new TXID
            }
            throw new IOException(msg);
        }
        faults.at(HydrationFaults.Point.BEFORE_SIDECAR);
        channel.force(true);
        new HydrationSidecar(target.txid(), sum, pageSize, commit, HydrationSidecar.anchorOf(target)).write(path);
        sidecarPresent = true;
        txid = target.txid();
        bytesDone = bytesTotal;
        state = "ready";
    }

    /** Stops serving and closes the file; the file and its sidecar stay for the next open. */
    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            state = "closed";
            sources = PageMap.EMPTY;
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException e) {
                LOG.debug("closing hydrated file {}: {}", path, e.toString());
            } finally {
                releaseLock(); // even when the close threw: a kept reservation refuses every later open
            }
        }
    }

    private void releaseLock() {
        try {
            if (lock != null) {
                lock.release();
            }
        } catch (IOException e) {
            LOG.debug("releasing the lock of hydrated file {}: {}", path, e.toString());
        }
    }
}
