// Over 500 lines: the complete poll and its one-request variants share the held anchor, positions and checksums.
package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.FileVerifier;
import dev.ltx4j.pagestore.replica.LoadedFile;
import dev.ltx4j.pagestore.replica.PageCache;
import dev.ltx4j.pagestore.replica.RemoteFile;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Read mode's poll step: applies a replica file only when it continues the exact state the follower holds, and
 * notices when the replica's history no longer contains that state (replaced, restored to an earlier point,
 * rewritten by another tool).
 *
 * <p><b>Continuity.</b> The follower keeps the <em>anchor</em>, the file whose max TXID is the held TXID (the last
 * file applied, or the restore plan's last file). Every poll reads the anchor's header again (one ranged read of
 * 100 bytes): a different header (timestamp, node, checksums, size fields) means the file was rewritten; a missing
 * anchor is fine only when another listed file covers the held TXID (compaction), with the held checksum when it
 * ends exactly there. Each file applied must have, where both sides carry checksums, a pre-apply checksum equal to
 * the checksum of the held state it starts from. Node ids are compared only as part of the anchor's identity: a
 * different writer may legitimately continue the chain. Checksums come from headers and trailers read without
 * the file's pages, so a mismatch is never taken as divergence before both files are verified (the one that
 * produced the held checksum and the one that does not continue it): a bit flipped at rest in either is reported
 * as that file's {@link dev.ltx4j.pagestore.replica.ReplicaFileCorruptException} (the poll fails, the held state
 * is kept), never blamed on a healthy successor.
 *
 * <p><b>Divergence.</b> The follower never applies a file that fails these rules. It reloads: the replica's
 * current state is built from scratch from its restore plan (itself checked for continuity) and published as a
 * new <em>lineage</em> at a transaction boundary; read transactions pinned before fail instead of reading the new
 * files, and the page cache starts empty. Until a reload succeeds (an empty replica, a replica changing right now)
 * new read transactions are refused with {@link ReplicaDivergedException}; every poll retries. Each divergence is
 * logged, kept in {@link FollowerStatus#divergence()} and in the last error.
 *
 * <p><b>Economy.</b> {@link #poll} is the complete poll (every level listed, the anchor re-read). The scheduler calls
 * {@link #tick}, which asks the replica one question per poll while nothing changes (a listing of level 0 compared
 * with the last one) and spreads the other checks over later polls ({@link PollPlan};
 * docs/request-economy-follower.md); any change it sees runs the complete checks at once.
 *
 * <p>Callers hold the database's sync lock. A poll returns a {@link Step} that the database applies; it writes no
 * field of {@link Database} (the fields above are this class's own; see docs/engine-invariants.md).
 */
final class Follower {
    /** How many held TXIDs keep their checksum, to check files that straddle the held TXID. */
    private static final int CHECKSUM_HISTORY = 1024;

    private final Database db;
    /** Where each level's next poll listing starts (cleared to relist everything). */
    private final ReplicaIndex.ListingPositions positions = new ReplicaIndex.ListingPositions();
    private volatile LoadedFile anchor;
    private final TreeMap<Long, Long> heldChecksums = new TreeMap<>();
    /** The file each remembered checksum was read from (its post-apply checksum), verified before blaming. */
    private final TreeMap<Long, RemoteFile> heldFrom = new TreeMap<>();

    volatile long lastPollMillis = -1;
    volatile boolean lastPollOk;
    volatile String lastPollError;
    volatile long currentAsOfMillis = -1;
    volatile long newestTxidMillis = -1;
    volatile FollowerStatus.Divergence divergence;
    private final AtomicLong reloads = new AtomicLong();
    /** Polls that asked the replica anything (complete, quick or audit). */
    private final AtomicLong polls = new AtomicLong();
    /** What the next scheduled poll asks (request economy, back-off). */
    final PollPlan plan;
    /** Failed polls since the last good one: only the first of a streak is logged at warn. */
    private long pollFailureStreak;
    /** The TXID a gap was last logged after, so a gap the replica keeps showing is logged once. */
    private long loggedGapAfter = -1;

    Follower(Database db) {
        this.db = db;
        this.plan = new PollPlan(db.options.pollInterval.toMillis(), db.options.pollBackoff);
    }

    /** The state the follower starts from (open, refresh, reload). */
    void start(ReplicaIndex.OpenedState opened) {
        // Continue each level where the open's listings ended (a full listing when unknown): a poll right after
        // an open lists only what is new, not a long tail the restore plan skipped.
        positions.clear();
        if (opened.positions() != null) {
            positions.advance(opened.positions());
        }
        anchor = opened.last();
        heldChecksums.clear();
        heldFrom.clear();
        remember(opened.version(), anchor);
        newestTxidMillis = anchor == null ? -1 : anchor.header().timestamp();
        plan.forgetLevel0(); // the open listed from positions it did not record per file: the next poll is complete
        plan.changed();
    }

    FollowerStatus status(long now) {
        long t = newestTxidMillis;
        return new FollowerStatus(lastPollMillis, lastPollOk, lastPollError, currentAsOfMillis, t,
                t < 0 ? -1 : Math.max(0, now - t), divergence, reloads.get(), plan.effectiveIntervalMillis(),
                plan.maxFactor(), polls.get());
    }

    /**
     * What one poll did, for {@link Database} to apply (docs/engine-invariants.md I4): the outcome, the version to
     * publish (null: nothing new) and the database's last error (null clears it).
     */
    record Step(PollOutcome outcome, DatabaseVersion publish, String lastError) {}

    /** Forgets the listing positions: the next poll lists every level from the start. */
    void relistEverything() {
        positions.clear();
        plan.forgetLevel0();
    }

    /** After a refresh: no divergence to report. */
    void forgetDivergence() {
        divergence = null;
    }

    /** One complete poll (see the class comment), asked for explicitly: also ends a back-off. */
    Step poll(Instant now) {
        plan.changed();
        return attempt(now, PollPlan.Kind.FULL);
    }

    /** The scheduled poll: what {@link PollPlan} says is due at {@code now}; null when nothing is (back-off). */
    Step tick(Instant now) {
        PollPlan.Kind kind = plan.next(now.toEpochMilli());
        FollowerStatus.Divergence d = divergence;
        if (kind == PollPlan.Kind.SKIP && (d == null || !d.readsRefused())) {
            return null;
        }
        return attempt(now, kind);
    }

    /** A read transaction started (any thread): a backed-off poll returns to the base interval. */
    void readStarted() {
        plan.readStarted();
    }

    private Step attempt(Instant now, PollPlan.Kind kind) {
        long at = now.toEpochMilli();
        lastPollMillis = at;
        polls.incrementAndGet();
        try {
            FollowerStatus.Divergence d = divergence;
            if (d != null && d.readsRefused()) {
                return reload(at, d);
            }
            try {
                return step(at, kind);
            } catch (IOException e) {
                if (!ReplicaIndex.isNotFound(e)) {
                    throw e;
                }
                // A file listed by this poll was deleted before it was read (compaction and retention replace
                // files by covering ones): list again and retry once.
                Database.log().debug("follower of database \"{}\": {}; relisting", db.name, e.getMessage());
                return advance(at, null);
            }
        } catch (IOException | RuntimeException e) {
            plan.forgetLevel0(); // whatever happened meanwhile, the next poll looks at everything
            lastPollOk = false;
            lastPollError = "poll failed: " + e.getMessage();
            if (pollFailureStreak++ == 0) {
                Database.log().warn("follower of database \"{}\": {}; retrying every poll interval", db.name,
                        lastPollError);
            } else {
                Database.log().debug("follower of database \"{}\": {} (attempt {})", db.name, lastPollError,
                        pollFailureStreak);
            }
            return new Step(new PollOutcome(0, db.current().txid(), false, e), null, lastPollError);
        }
    }

    /** One poll of the given kind: a quiet answer, or the complete checks when anything may have changed. */
    private Step step(long at, PollPlan.Kind kind) throws IOException {
        switch (kind) {
            case QUICK: {
                long seek = positions.seek(0);
                List<LtxFileInfo> level0 = db.client.listFiles(0, seek, false);
                if (plan.level0Unchanged(level0)) {
                    return quiet(at);
                }
                long[] next = new long[ReplicaClient.MAX_LEVEL + 1];
                for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
                    next[level] = positions.seek(level);
                }
                for (LtxFileInfo info : level0) {
                    next[0] = info.minTxid();
                }
                return advance(at, new Listing(level0, next, false));
            }
            case AUDIT_ANCHOR:
                return anchorUnchanged() ? quiet(at) : advance(at, null);
            case AUDIT_LEVEL: {
                int level = plan.auditLevel();
                long held = db.current().txid();
                for (LtxFileInfo info : db.client.listFiles(level, positions.seek(level), false)) {
                    if (Long.compareUnsigned(info.maxTxid(), held) > 0) {
                        return advance(at, null);
                    }
                }
                return quiet(at);
            }
            default:
                return advance(at, null);
        }
    }

    /** The poll's one request found nothing to do: the follower is current as far as the replica shows. */
    private Step quiet(long at) {
        plan.quiet();
        lastPollOk = true;
        lastPollError = null;
        currentAsOfMillis = at;
        recovered();
        return new Step(new PollOutcome(0, db.current().txid(), false, null, true), null,
                divergenceMessage(divergence));
    }

    private void recovered() {
        if (pollFailureStreak > 0) {
            Database.log().info("follower of database \"{}\": polling works again after {} failed poll(s)",
                    db.name, pollFailureStreak);
            pollFailureStreak = 0;
        }
    }

    /**
     * Applies what continues the held state: from {@code partial} (level 0 only) when that listing settles it,
     * else from every level listed from its position (a gap, a file that does not continue, or no partial listing).
     */
    private Step advance(long at, Listing partial) throws IOException {
        if (partial != null) {
            Step s = advance(at, db.current(), partial);
            if (s != null) {
                return s;
            }
        }
        return advance(at, db.current(), list(positions));
    }

    /** One attempt of a poll on {@code listing}; null when a partial listing does not settle it. */
    private Step advance(long at, DatabaseVersion cur, Listing listing) throws IOException {
        boolean checks = !db.options.faults.skipFollowerContinuity;
        String problem = checks ? checkAnchor(cur, listing) : null;
        DatabaseVersion v = cur;
        List<LtxFileInfo> applied = new ArrayList<>();
        LoadedFile last = null;
        if (problem == null) {
            for (LtxFileInfo info : ReplicaIndex.chain(listing.candidates(cur.txid()), cur.txid())) {
                LoadedFile f = db.index.load(info);
                problem = checks ? continues(v, f) : null;
                if (problem != null) {
                    if (!listing.complete()) {
                        return null; // decide it on every level (the chain there may differ)
                    }
                    verifyBeforeBlaming(f);
                    break;
                }
                v = ReplicaIndex.apply(v, f);
                remember(v, f);
                applied.add(info);
                last = f;
            }
        }
        if (problem != null) {
            return diverged(at, cur, problem);
        }
        boolean gap = false;
        for (LtxFileInfo info : listing.files) {
            gap |= Long.compareUnsigned(info.maxTxid(), v.txid()) > 0;
        }
        if (gap && !listing.complete()) {
            return null; // the files before the gap may be on higher levels: list them
        }
        if (gap) {
            positions.clear();
        } else {
            positions.advance(listing.next);
        }
        plan.listed(listing.files, gap ? -1 : positions.seek(0));
        if (applied.isEmpty()) {
            plan.quiet();
        } else {
            plan.changed();
        }
        if (last != null) {
            anchor = last;
            newestTxidMillis = last.header().timestamp();
        }
        lastPollOk = true;
        lastPollError = gap ? "replica has files beyond a gap after TXID " + Txid.format(v.txid())
                + "; relisting on the next poll" : null;
        if (!gap) {
            currentAsOfMillis = at;
        } else if (loggedGapAfter != v.txid()) {
            loggedGapAfter = v.txid();
            Database.log().warn("follower of database \"{}\": {}", db.name, lastPollError);
        }
        recovered();
        return new Step(new PollOutcome(applied.size(), v.txid(), gap, null), v,
                gap ? lastPollError : divergenceMessage(divergence));
    }

    /** Every level listed from its position: all files seen, and where each level's listing ended. */
    private record Listing(List<LtxFileInfo> files, long[] next, boolean complete) {
        List<LtxFileInfo> candidates(long txid) {
            List<LtxFileInfo> out = new ArrayList<>();
            for (LtxFileInfo f : files) {
                if (Long.compareUnsigned(f.maxTxid(), txid) > 0) {
                    out.add(f);
                }
            }
            return out;
        }
    }

    private Listing list(ReplicaIndex.ListingPositions positions) throws IOException {
        List<LtxFileInfo> files = new ArrayList<>();
        long[] next = new long[ReplicaClient.MAX_LEVEL + 1];
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            long seek = positions == null ? 0 : positions.seek(level);
            next[level] = seek;
            for (LtxFileInfo info : db.client.listFiles(level, seek, false)) {
                next[level] = info.minTxid();
                files.add(info);
            }
        }
        return new Listing(files, next, true);
    }

    /** Why the anchor no longer proves the held state, or null when it does. */
    private String checkAnchor(DatabaseVersion cur, Listing listing) throws IOException {
        if (anchor == null) {
            return null;
        }
        LtxFileInfo a = anchor.info();
        LtxHeader now;
        try {
            now = LtxHeader.parse(readHeader(a), a.toString());
        } catch (ReplicaNotFoundException e) {
            if (covered(cur, listing) || covered(cur, list(null))) {
                return null;
            }
            return "replica file " + a + " that produced TXID " + Txid.format(cur.txid())
                    + " is gone and no replica file covers that TXID (the replica was replaced or rewound)";
        } catch (LtxFormatException e) {
            return "replica file " + a + " that produced TXID " + Txid.format(cur.txid())
                    + " is no longer a valid LTX file: " + e.getMessage();
        }
        if (!now.equals(anchor.header())) {
            return "replica file " + a + " that produced TXID " + Txid.format(cur.txid())
                    + " was rewritten (its header changed: " + describe(anchor.header()) + " -> " + describe(now) + ")";
        }
        return null;
    }

    /** The 100 header bytes of {@code f}; a short read is a transient failure, not a changed file. */
    private byte[] readHeader(LtxFileInfo f) throws IOException {
        byte[] head = db.client.readRange(f.level(), f.minTxid(), f.maxTxid(), 0, Ltx.HEADER_SIZE);
        if (head.length != Ltx.HEADER_SIZE) {
            throw new ReplicaTransientException("short read of the header of replica file " + f
                    + ": " + head.length + " of " + Ltx.HEADER_SIZE + " bytes");
        }
        return head;
    }

    private static String describe(LtxHeader h) {
        return "timestamp " + Instant.ofEpochMilli(h.timestamp()) + ", node " + Long.toHexString(h.nodeId())
                + ", pre-apply " + Long.toHexString(h.preApplyChecksum()) + ", commit " + h.commitPages();
    }

    /**
     * Whether a listed file other than the anchor covers the held TXID (the anchor was compacted away). A file
     * ending exactly there becomes the anchor if its checksum (when both sides have one) is the held one; a file
     * reaching past it will be applied by this poll's chain and checked there.
     */
    private boolean covered(DatabaseVersion cur, Listing listing) throws IOException {
        long t = cur.txid();
        LtxFileInfo a = anchor.info();
        for (LtxFileInfo f : listing.files) {
            boolean same = f.level() == a.level() && f.minTxid() == a.minTxid() && f.maxTxid() == a.maxTxid();
            if (same || Long.compareUnsigned(f.minTxid(), t) > 0 || Long.compareUnsigned(f.maxTxid(), t) < 0) {
                continue;
            }
            if (f.maxTxid() != t) {
                return true;
            }
            LoadedFile lf = db.index.load(f);
            if (lf.header().noChecksum() || cur.checksum() == 0 || lf.postApplyChecksum() == cur.checksum()) {
                anchor = lf;
                heldFrom.put(t, lf.remoteFile());
                return true;
            }
            verify(lf.remoteFile()); // a flipped bit in its trailer is corruption, not another history
        }
        return false;
    }

    /** Why {@code f} does not continue {@code v} (or an earlier held state it starts from), or null. */
    private String continues(DatabaseVersion v, LoadedFile f) {
        long start = f.header().minTxid() - 1;
        if (start == v.txid()) {
            return ReplicaIndex.continuity(v.txid(), v.checksum(), f);
        }
        Long held = heldChecksums.get(start);
        return held == null ? null : ReplicaIndex.continuity(start, held, f);
    }

    private void remember(DatabaseVersion v, LoadedFile from) {
        heldChecksums.put(v.txid(), v.checksum());
        if (from != null) {
            heldFrom.put(v.txid(), from.remoteFile());
        } else {
            heldFrom.remove(v.txid());
        }
        while (heldChecksums.size() > CHECKSUM_HISTORY) {
            heldFrom.remove(heldChecksums.pollFirstEntry().getKey());
        }
    }

    /**
     * {@code f} does not continue the held checksum at its min TXID - 1: verifies the file that checksum was read
     * from, then {@code f}, so that a damaged one is reported as corrupt (naming it) instead of as divergence.
     * A producer that is gone (compacted, deleted) cannot be checked; a mismatch between verified files remains.
     *
     * @throws dev.ltx4j.pagestore.replica.ReplicaFileCorruptException when either file is corrupt
     */
    private void verifyBeforeBlaming(LoadedFile f) throws IOException {
        if (db.options.faults.trustUnverifiedChecksums) {
            return;
        }
        RemoteFile producer = heldFrom.get(f.header().minTxid() - 1);
        if (producer != null) {
            try {
                verify(producer);
            } catch (ReplicaNotFoundException gone) {
                // nothing left to verify: the successor alone decides
            }
        }
        verify(f.remoteFile());
    }

    /** Verifies a whole file through the reader's verifier (remembered, shared with page reads) or a strict one. */
    private void verify(RemoteFile file) throws IOException {
        FileVerifier v = db.reader().verifier();
        (v.enabled() ? v : new FileVerifier(db.client, new PageCache(0), true)).ensure(file, 0);
    }

    /** Stops serving the held state (pinned readers fail from now on) and tries to load the replica's new state. */
    private Step diverged(long at, DatabaseVersion held, String reason) {
        FollowerStatus.Divergence d = new FollowerStatus.Divergence(held.txid(), reason, at, -1);
        Database.log().warn("follower of database \"{}\" at TXID {}: the replica no longer contains its state: {};"
                + " reloading", db.name, Txid.format(held.txid()), reason);
        divergence = d;
        db.enterDivergence(divergenceMessage(d));
        return reload(at, d);
    }

    private Step reload(long at, FollowerStatus.Divergence d) {
        ReplicaIndex.OpenedState opened;
        try {
            opened = db.index.openState(RestoreTarget.latest());
        } catch (IOException | RestorePlanException | RuntimeException e) {
            lastPollOk = false;
            lastPollError = "replica diverged and its new state cannot be loaded yet (reads are refused until it"
                    + " can): " + e.getMessage();
            return new Step(new PollOutcome(0, db.current().txid(), false, e instanceof IOException io ? io
                    : new IOException(e.getMessage(), e)), null, divergenceMessage(d) + "; " + lastPollError);
        }
        start(opened);
        db.installReloaded(opened.version());
        FollowerStatus.Divergence done = new FollowerStatus.Divergence(d.heldTxid(), d.reason(), d.atMillis(),
                opened.version().txid());
        divergence = done;
        reloads.incrementAndGet();
        Database.log().warn("follower of database \"{}\" switched to the replica's new state at TXID {}", db.name,
                Txid.format(opened.version().txid()));
        lastPollOk = true;
        lastPollError = null;
        currentAsOfMillis = at;
        return new Step(new PollOutcome(0, opened.version().txid(), false, null), null, divergenceMessage(done));
    }

    static String divergenceMessage(FollowerStatus.Divergence d) {
        if (d == null) {
            return null;
        }
        return "replica_diverged: the replica no longer contains TXID " + Txid.format(d.heldTxid())
                + " held by this follower (" + d.reason() + ")" + (d.readsRefused() ? "; reads are refused until the"
                + " replica's new state loads" : "; switched to the replica's new state at TXID "
                + Txid.format(d.reloadedTxid()) + " at " + Instant.ofEpochMilli(d.atMillis()));
    }

    /** Whether the anchor is still there with the header it had (one header read); false: gone or rewritten. */
    private boolean anchorUnchanged() throws IOException {
        LoadedFile a = anchor;
        if (a == null) {
            return true;
        }
        LtxFileInfo i = a.info();
        try {
            return LtxHeader.parse(readHeader(i), i.toString()).equals(a.header());
        } catch (ReplicaNotFoundException | LtxFormatException e) {
            return false;
        }
    }

    /**
     * Whether the replica does not contradict the held state (one header read): the anchor is there unchanged, or
     * gone (compaction and retention delete files; the next poll checks coverage). False when a file with the
     * anchor's name now holds another header. Without checksums this is the only way to tell that a state
     * rebuilt from the replica's current files is the held one and not another history's.
     */
    boolean anchorNotContradicted() throws IOException {
        LoadedFile a = anchor;
        if (a == null) {
            return true;
        }
        LtxFileInfo i = a.info();
        try {
            return LtxHeader.parse(readHeader(i), i.toString()).equals(a.header());
        } catch (ReplicaNotFoundException e) {
            return true;
        } catch (LtxFormatException e) {
            return false;
        }
    }

    /** For tests: the checksums the follower remembers. */
    Map<Long, Long> heldChecksums() {
        return heldChecksums;
    }
}
