package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.FileVerifier;
import dev.ltx4j.pagestore.replica.PageReader;
import dev.ltx4j.pagestore.replica.RemoteFile;
import dev.ltx4j.pagestore.replica.RemotePage;
import dev.ltx4j.pagestore.replica.ReplicaFileCorruptException;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.pagestore.replica.TxidUnavailableException;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reading a database as of a past time (one per {@link Database}, shared by its connections; thread-safe). A time
 * resolves to the newest restorable TXID whose commit time (the LTX header timestamp) is at or before it
 * ({@link RestorablePoints}: one listing of every level, then at most about {@code log2(points) + 2} reads of
 * 100-byte headers, usually two, and the whole files of the answer and the next point, once per file and process: one
 * whole-file GET beyond reading the answer, which downloads its file anyway; a time before the oldest state downloads
 * the oldest file whole); a {@link PointInTime} is then read through pinned versions built from the restore plan of
 * its TXID, shared by every connection looking at the same point.
 *
 * <p>Only what the replica holds has a time: in write mode, commits not yet synced are part of the latest state
 * only. Compaction and retention leave fewer points (a compacted file carries its newest input's timestamp, so a
 * time inside its window resolves to the last boundary before it); a time before the oldest point is a
 * {@link TimeTravelException} naming the oldest available time. A resolved point stays valid while the files that
 * reach it exist: a page whose file compaction or retention removed is found again through the current restore
 * plan of its TXID (and the rebuilt map replaces the cached one), and fails when no plan reaches the TXID any more.
 * A rebuilt state must end with a file carrying the point's commit time, so a replica replaced by another history
 * is never mixed into a pinned past state (the follower's reload then starts a new lineage).
 */
public final class TimeTravel {
    private static final int HEADER_TIMES = 8192;
    private static final int VERSIONS = 8;

    private final Database db;
    /**
     * Header timestamp and page size by listed file (level, range, size and listing time: a rewritten file is another
     * key); the timestamp is replaced by the verified one once the file is verified ({@link #decide}).
     */
    private final Map<LtxFileInfo, long[]> headerMillis = lru(HEADER_TIMES);
    /** Commit times by TXID of lineage {@link #lineage}. */
    private final Map<Long, Long> txidMillis = lru(HEADER_TIMES);
    /** Built historical versions by TXID of lineage {@link #lineage}. */
    private final Map<Long, DatabaseVersion> versions = lru(VERSIONS);
    private long lineage;
    /** Reads past states of lineage {@link #lineage} (the database's page cache; relocation of its own). */
    private PageReader reader;
    /** The last resolution's listing of every level (lineage {@link #lineage}), for the plan of its point; or null. */
    private List<LtxFileInfo> listing;
    private long listedTxid;

    TimeTravel(Database db) {
        this.db = db;
    }

    private static <K, V> Map<K, V> lru(int max) {
        return new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > max;
            }
        };
    }

    /**
     * The newest state at or before {@code target}.
     *
     * @param now the caller's clock: a target after it is refused (the replica cannot know the future)
     * @throws TimeTravelException for a future target, one before the oldest restorable state, or a replica
     *     without a restorable state
     * @throws ReplicaFileCorruptException when the time may be a state that ends with a corrupt file (between the
     *     intact states around it): names the file and the restore of the state before it
     */
    public PointInTime resolve(Instant target, Instant now) throws IOException {
        if (target.isAfter(now)) {
            throw new TimeTravelException(target + " is in the future (now is " + now + ")", null);
        }
        long at = db.lineage();
        List<LtxFileInfo> files = new ArrayList<>();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            files.addAll(db.client.listFiles(level, 0, false));
        }
        List<RestorablePoints.Point> points = new ArrayList<>(RestorablePoints.of(files));
        if (points.isEmpty()) {
            throw new TimeTravelException("the replica of database \"" + db.name + "\" "
                    + (files.isEmpty() ? "holds no files" : "holds no state restorable from TXID 1"), null);
        }
        Instant wanted = db.options.faults.timeTravelStrictlyBefore ? target.minusMillis(1) : target; // fault point
        int i = decide(points, wanted, at);
        if (i < 0) {
            RestorablePoints.Point oldest = points.get(0);
            Instant t = Instant.ofEpochMilli(millis(oldest));
            throw new TimeTravelException(target + " is before the oldest state the replica of database \"" + db.name
                    + "\" can restore: the oldest available time is " + t + " (TXID " + Txid.format(oldest.txid())
                    + (oldest.txid() == 1 ? ", the first transaction)" : "; earlier states were compacted away or"
                    + " removed by retention)"), t);
        }
        RestorablePoints.Point p = points.get(i);
        long ms = millis(p);
        remember(at, p.txid(), ms);
        synchronized (this) {
            if (lineage == at) {
                listing = files;
                listedTxid = p.txid();
            }
        }
        return new PointInTime(target, p.txid(), Instant.ofEpochMilli(ms), at);
    }

    /**
     * Pins the state at {@code point} for one read transaction.
     *
     * @throws ReplicaDivergedException when the replica was replaced since {@code point} was resolved (resolve the
     *     time again)
     * @throws TimeTravelException when the replica no longer reaches the point's TXID
     */
    public ReadTransaction beginRead(PointInTime point) throws IOException {
        if (point.lineage() != db.lineage()) {
            throw new ReplicaDivergedException("the replica of database \"" + db.name + "\" was replaced since "
                    + point + " was resolved; resolve the time again");
        }
        DatabaseVersion v = version(point);
        return new ReadTransaction(db, new Pin(v, null, reader(point.lineage()), point.lineage()));
    }

    /**
     * The reader of past states: the database's page cache and settings, and a relocator that rebuilds a past
     * state from the current restore plan when a file it points at is gone (the database's own relocation serves
     * its current lineage's latest states, and in read mode only while the follower's anchor file is there).
     */
    private synchronized PageReader reader(long of) {
        if (!adopt(of)) {
            return db.reader(); // an older lineage: its reads fail as replaced (ReadTransaction checks the lineage)
        }
        if (reader == null || reader.cache() != db.reader().cache()) {
            EngineOptions o = db.options;
            PageReader r = new PageReader(db.client, db.reader().cache(), o.readAheadPages,
                    (long) o.readAheadPages * 70_000, !o.faults.skipPageVerification);
            r.setRelocator((v, pgno, missing) -> relocate(v, pgno, missing, of));
            reader = r;
        }
        return reader;
    }

    private RemotePage relocate(DatabaseVersion v, long pgno, RemotePage missing, long of) throws IOException {
        Long millis;
        DatabaseVersion rebuilt;
        synchronized (this) {
            if (of != lineage || of != db.lineage()) {
                return null;
            }
            millis = txidMillis.get(v.txid());
            rebuilt = versions.get(v.txid());
        }
        if (millis == null) {
            return null;
        }
        boolean stale = rebuilt == null || (rebuilt.pages().get(pgno) instanceof RemotePage rp
                && rp.file().equals(missing.file()));
        if (stale) {
            rebuilt = rebuild(v.txid(), millis, pgno, missing);
            if (rebuilt == null || (v.checksum() != 0 && rebuilt.checksum() != 0 && v.checksum() != rebuilt.checksum())) {
                return null;
            }
            synchronized (this) {
                if (lineage == of) {
                    versions.put(v.txid(), rebuilt); // later transactions read the rebuilt map directly
                }
            }
        }
        return rebuilt.pages().get(pgno) instanceof RemotePage rp ? rp : null;
    }

    /**
     * The state at {@code txid} from the current restore plan, or null when the file that ends the plan does not carry
     * {@code millis} (another history). When no plan reaches it any more (retention deleted its files), the read
     * fails saying so, as a read of a pinned latest state does, rather than as the missing file's "no such LTX file".
     */
    private DatabaseVersion rebuild(long txid, long millis, long pgno, RemotePage missing) throws IOException {
        ReplicaIndex.OpenedState s;
        String lost = "page " + pgno + " of this past state (litestream_time) was in replica file " + missing.file()
                + ", which is gone";
        try {
            s = db.index.openState(RestoreTarget.txid(txid));
        } catch (RestorePlanException e) {
            // Retention is one cause; a replica that ends before the TXID or a hole in its chain are others.
            UnreachableTxid why = UnreachableTxid.orUnknown(db.client, txid);
            String detail = lost + ", and no restore plan over the remaining files reaches that TXID: " + why.detail();
            TxidUnavailableException failure = switch (why.kind()) {
                case RETENTION -> new TxidUnavailableException(txid, detail, e);
                case BEYOND_HEAD -> new TxidUnavailableException(txid, detail, "the replica no longer holds this"
                        + " history; set the time again (PRAGMA litestream_time) to read a state it holds", e);
                case UNKNOWN -> new TxidUnavailableException(txid, detail, "why is unknown (" + e.getMessage()
                        + "); retrying the read may say why", e);
                default -> new TxidUnavailableException(txid, detail, "put the missing file back (from a copy) to"
                        + " read this state again; later states restore only up to the gap", e);
            };
            if (why.listingFailure() != null) {
                failure.addSuppressed(why.listingFailure());
            }
            throw failure;
        } catch (LtxFormatException e) {
            throw new TxidUnavailableException(txid, lost + ", and the restore plan of that TXID over the remaining"
                    + " files meets a corrupt file: " + e.getMessage(), "put an intact copy of that file back to read"
                    + " this state again", e);
        }
        boolean same = s.version().txid() == txid && s.last() != null && s.last().header().timestamp() == millis;
        return same ? s.version() : null;
    }

    /**
     * The state at {@code txid} from the restore plan, planning over {@code listed} (a listing made moments ago) when
     * not null; null when no plan reaches it or the file that ends the plan does not carry {@code millis}.
     */
    private DatabaseVersion build(long txid, long millis, List<LtxFileInfo> listed) throws IOException {
        ReplicaIndex.OpenedState s = null;
        if (listed != null) {
            try {
                ReplicaIndex held = new ReplicaIndex(new HeldListing(db.client, listed));
                held.trustUnverifiedChecksums(db.options.faults.trustUnverifiedChecksums);
                held.loadInParallel(db.fetches.executor(), Fetches.PLAN_READS_AHEAD); // as the database's own index
                s = held.openState(RestoreTarget.txid(txid));
            } catch (RestorePlanException e) {
                s = null; // the listing no longer plans it: list afresh below
            } catch (IOException e) {
                if (!ReplicaIndex.isNotFound(e)) {
                    throw e;
                }
                // A file listed then is gone (compaction, retention): list afresh below.
            }
        }
        try {
            s = s != null ? s : db.index.openState(RestoreTarget.txid(txid));
        } catch (RestorePlanException e) {
            return null;
        }
        if (s.version().txid() != txid || s.last() == null || s.last().header().timestamp() != millis) {
            return null;
        }
        return s.version();
    }

    private DatabaseVersion version(PointInTime point) throws IOException {
        synchronized (this) {
            DatabaseVersion v = lineage == point.lineage() ? versions.get(point.txid()) : null;
            if (v != null) {
                return v;
            }
        }
        List<LtxFileInfo> listed;
        synchronized (this) {
            listed = lineage == point.lineage() && listedTxid == point.txid() ? listing : null;
            listing = null; // used once: a later build lists afresh
        }
        DatabaseVersion v = build(point.txid(), point.commitTime().toEpochMilli(), listed);
        if (v == null) {
            UnreachableTxid why = UnreachableTxid.orUnknown(db.client, point.txid());
            String detail = why.kind() == UnreachableTxid.Kind.REACHABLE
                    ? "the file ending at TXID " + Txid.format(point.txid()) + " now carries another commit time (the"
                            + " replica was replaced)" : why.detail();
            TimeTravelException failure = new TimeTravelException("the replica of database \"" + db.name
                    + "\" no longer reaches " + point + ": " + detail + "; set the time again", null);
            if (why.listingFailure() != null) {
                failure.addSuppressed(why.listingFailure());
            }
            throw failure;
        }
        synchronized (this) {
            if (adopt(point.lineage())) {
                versions.put(point.txid(), v);
                txidMillis.put(point.txid(), point.commitTime().toEpochMilli());
            }
        }
        return v;
    }

    /** Switches the per-lineage caches to {@code at} if it is the newest; false if {@code at} is an older one. */
    private boolean adopt(long at) {
        if (at == lineage) {
            return true;
        }
        if (at < lineage) {
            return false;
        }
        lineage = at;
        versions.clear();
        txidMillis.clear();
        reader = null;
        return true;
    }

    private synchronized void remember(long at, long txid, long millis) {
        if (adopt(at)) {
            txidMillis.put(txid, millis);
        }
    }

    /**
     * The commit time of {@code txid} in the replica (its LTX header timestamp), empty for TXID 0 (nothing synced)
     * or when no file ends at it any more. Cached; else one listing of level 0 from the TXID and one header read,
     * and a full listing only when no level-0 file starts at it.
     */
    public Optional<Instant> commitTime(long txid) throws IOException {
        if (txid == 0) {
            return Optional.empty();
        }
        long at = db.lineage();
        synchronized (this) {
            Long ms = lineage == at ? txidMillis.get(txid) : null;
            if (ms != null) {
                return Optional.of(Instant.ofEpochMilli(ms));
            }
        }
        LtxFileInfo file = endingAt(db.client.listFiles(ReplicaClient.MIN_LEVEL, txid, false), txid);
        for (int level = ReplicaClient.MIN_LEVEL; file == null && level <= ReplicaClient.MAX_LEVEL; level++) {
            file = endingAt(db.client.listFiles(level, 0, false), txid);
        }
        if (file == null) {
            return Optional.empty();
        }
        long ms = millis(file);
        remember(at, txid, ms);
        return Optional.of(Instant.ofEpochMilli(ms));
    }

    private static LtxFileInfo endingAt(List<LtxFileInfo> files, long txid) {
        for (LtxFileInfo f : files) {
            if (f.maxTxid() == txid) {
                return f;
            }
        }
        return null;
    }

    private long millis(RestorablePoints.Point p) throws IOException {
        return millis(p.file());
    }

    /** The header timestamp of one file: a 100-byte ranged read, cached. */
    private long millis(LtxFileInfo f) throws IOException {
        return header(f)[0];
    }

    /** {timestamp, page size} of one file's header (a 100-byte ranged read, cached). */
    private long[] header(LtxFileInfo f) throws IOException {
        synchronized (this) {
            long[] h = headerMillis.get(f);
            if (h != null) {
                return h;
            }
        }
        byte[] head = db.client.readRange(f.level(), f.minTxid(), f.maxTxid(), 0, Ltx.HEADER_SIZE);
        LtxHeader parsed = LtxHeader.parse(head, f.toString());
        long[] h = {parsed.timestamp(), parsed.pageSize()};
        synchronized (this) {
            headerMillis.put(f, h);
        }
        return h;
    }

    /**
     * The index in {@code points} of the newest point committed at or before {@code wanted} (-1: none), decided on
     * verified commit times. The search reads 100-byte headers, whose timestamps the file checksum covers only once
     * the whole file is read: a changed one would land on another real state. So the files of the points that decide
     * the answer (the answer's and its successor's; the oldest point's for -1) are verified whole first, and their
     * verified timestamps replace the ones read. A point whose file is corrupt is tried through the other files that
     * end at its TXID (a compacted one); when all are corrupt it is left out, with a WARN naming the file, and the
     * search runs again over the rest. Leaving it out is right only for a time at or after a later point's verified
     * time (commit times do not decrease); a time between the answer and its successor may be the left-out state's,
     * whose commit time is unknown, so it is refused naming the corrupt file (docs/time-travel.md, "Verified commit
     * times").
     *
     * @throws ReplicaFileCorruptException when a left-out point lies between the answer and its successor
     * @throws TimeTravelException when every point's file is corrupt
     */
    private int decide(List<RestorablePoints.Point> points, Instant wanted, long at) throws IOException {
        Map<Long, ReplicaFileCorruptException> removed = new LinkedHashMap<>(); // each failed TXID's first failure
        List<String> failed = new ArrayList<>(); // every corrupt file met
        while (true) {
            int i = RestorablePoints.search(points, wanted, this::millis);
            boolean settled = true;
            for (int d = Math.max(i, 0); settled && d <= i + 1 && d < points.size(); d++) {
                settled = confirmed(points, d, d == i, at, removed, failed);
            }
            if (points.isEmpty()) {
                throw new TimeTravelException("the replica of database \"" + db.name + "\" holds no state whose"
                        + " last file verifies: every file that ends one is corrupt (" + String.join(", ", failed)
                        + "; the WARN lines say why)", null);
            }
            if (!settled) {
                continue;
            }
            long prev = i >= 0 ? points.get(i).txid() : 0;
            Long next = i + 1 < points.size() ? points.get(i + 1).txid() : null;
            ReplicaFileCorruptException between = null;
            for (ReplicaFileCorruptException e : removed.values()) { // one between them is left out: none survives
                long t = e.file().maxTxid();
                if (Long.compareUnsigned(t, prev) > 0 && (next == null || Long.compareUnsigned(t, next) < 0)
                        && (between == null || Long.compareUnsigned(t, between.file().maxTxid()) < 0)) {
                    between = e;
                }
            }
            if (between != null) {
                throw new ReplicaFileCorruptException(between.file(), between.reason() + "; time travel to " + wanted
                        + " may need the state it ends (TXID " + Txid.format(between.file().maxTxid()) + "), whose"
                        + " commit time a corrupt file cannot tell, so the older TXID " + Txid.format(prev)
                        + " is not answered in its place", between);
            }
            return i;
        }
    }

    /**
     * Verifies the file of {@code points[d]} (the verifier remembers it: once per file and process; its pages warm the
     * page cache only for the {@code answer}); false when that
     * changed what the search used: its verified timestamp differs from the one read (now cached instead), or it is
     * corrupt (the point moves to its next file, or is removed; {@code removed} keeps each TXID's first failure).
     */
    private boolean confirmed(List<RestorablePoints.Point> points, int d, boolean answer, long at,
            Map<Long, ReplicaFileCorruptException> removed, List<String> failed) throws IOException {
        RestorablePoints.Point p = points.get(d);
        LtxFileInfo f = p.file();
        long[] h = header(f);
        FileVerifier.Verified v;
        try {
            RemoteFile file = new RemoteFile(f.level(), f.minTxid(), f.maxTxid(), (int) h[1], f.size());
            v = reader(at).verifier().ensure(file, 0, answer); // only the answer's pages are about to be read
        } catch (ReplicaFileCorruptException e) {
            failed.add(f.toString());
            removed.putIfAbsent(f.maxTxid(), e);
            RestorablePoints.Point other = p.next();
            if (other != null) {
                Database.log().warn("time travel in database \"{}\": replica file {} is corrupt, TXID {} is reached"
                        + " through {} instead: {}", db.name, f, Txid.format(f.maxTxid()), other.file(), e.getMessage());
                points.set(d, other);
                return false;
            }
            Database.log().warn("time travel in database \"{}\": replica file {} is corrupt, so TXID {} is left out"
                    + " of the states a time resolves to (a time that may be its own is refused): {}", db.name, f,
                    Txid.format(f.maxTxid()), e.getMessage());
            points.remove(d);
            return false;
        }
        if (v == null || v.timestamp() == FileVerifier.Verified.BY_CONSTRUCTION || v.timestamp() == h[0]) {
            return true; // verification off (a test switch), the engine's own upload, or confirmed
        }
        synchronized (this) {
            headerMillis.put(f, new long[] {v.timestamp(), h[1]});
        }
        return false;
    }
}
