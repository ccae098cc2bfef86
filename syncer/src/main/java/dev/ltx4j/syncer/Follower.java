package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.LoadedFile;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    private final Database db;
    /** Where each level's next poll listing starts (cleared to relist everything). */
    private final ReplicaIndex.ListingPositions positions = new ReplicaIndex.ListingPositions();
    /** The anchor and the checksums held lately: the proof that the replica still contains the held state. */
    private final HeldAnchor held;

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
        this.held = new HeldAnchor(db);
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
        LoadedFile anchor = opened.last();
        held.reset(opened.version(), anchor);
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
        PollPlan.Kind kind = plan.next(Math.floorDiv(db.options.clock.nanoTime(), 1_000_000L), now.toEpochMilli());
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
                return advance(at, new PollListing(level0, next, false));
            }
            case AUDIT_ANCHOR:
                return held.anchorUnchanged() ? quiet(at) : advance(at, null);
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
    private Step advance(long at, PollListing partial) throws IOException {
        if (partial != null) {
            Step s = advance(at, db.current(), partial);
            if (s != null) {
                return s;
            }
        }
        return advance(at, db.current(), PollListing.list(db.client, positions));
    }

    /** One attempt of a poll on {@code listing}; null when a partial listing does not settle it. */
    private Step advance(long at, DatabaseVersion cur, PollListing listing) throws IOException {
        boolean checks = !db.options.faults.skipFollowerContinuity;
        String problem = checks ? held.checkAnchor(cur, listing) : null;
        DatabaseVersion v = cur;
        List<LtxFileInfo> applied = new ArrayList<>();
        LoadedFile last = null;
        if (problem == null) {
            for (LtxFileInfo info : ReplicaIndex.chain(listing.candidates(cur.txid()), cur.txid())) {
                LoadedFile f = db.index.load(info);
                problem = checks ? held.continues(v, f) : null;
                if (problem != null) {
                    if (!listing.complete()) {
                        return null; // decide it on every level (the chain there may differ)
                    }
                    held.verifyBeforeBlaming(f);
                    break;
                }
                DatabaseVersion next = ReplicaIndex.apply(v, f); // its page size check first
                LoadedFile prev = last != null ? last : held.anchor();
                ReplicaIndex.checkGrowth(v, f, () -> held.verifyWhole(prev, f));
                v = next;
                held.remember(v, f);
                applied.add(info);
                last = f;
            }
        }
        if (problem != null) {
            return diverged(at, cur, problem);
        }
        boolean gap = false;
        for (LtxFileInfo info : listing.files()) {
            gap |= Long.compareUnsigned(info.maxTxid(), v.txid()) > 0;
        }
        if (gap && !listing.complete()) {
            return null; // the files before the gap may be on higher levels: list them
        }
        if (gap) {
            positions.clear();
        } else {
            positions.advance(listing.next());
        }
        plan.listed(listing.files(), gap ? -1 : positions.seek(0));
        if (applied.isEmpty()) {
            plan.quiet();
        } else {
            plan.changed();
        }
        if (last != null) {
            held.applied(last);
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

    /** See {@link HeldAnchor#anchorNotContradicted()}. */
    boolean anchorNotContradicted() throws IOException {
        return held.anchorNotContradicted();
    }

    /** For tests: the checksums the follower remembers. */
    Map<Long, Long> heldChecksums() {
        return held.heldChecksums();
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


}
