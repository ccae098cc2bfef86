package dev.ltx4j.compaction;

import dev.ltx4j.compaction.internal.FaultCrash;
import dev.ltx4j.compaction.internal.StatusTracker;
import dev.ltx4j.compaction.internal.Timeline;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retention part of a {@link Compactor}: plans from a fresh listing and deletes in batches. It remembers when
 * files came to exist as far as this process saw, since a file's createdAt can be older than the file (a compacted
 * file carries its newest input's).
 */
final class Retention {
    /** Logs under the compactor's name, as before it was split out: operators filter on it. */
    private static final Logger LOG = LoggerFactory.getLogger(Compactor.class);

    private final ReplicaClient client;
    private final CompactionSettings settings;
    private final CompactionFaults faults;
    private final StatusTracker tracker;
    private final Timeline timeline;
    /**
     * Files this compactor created, or first saw in a retention listing after its first one, with when: the grace cut
     * treats them as existing only since then (a compacted file's createdAt is its newest input's, older than it).
     */
    private final Map<String, Instant> createdHere = new HashMap<>();
    /** Keys of the files in the previous retention listing; null before the first. */
    private Set<String> lastListing;
    private int deleteBatch = Compactor.DEFAULT_DELETE_BATCH;

    Retention(ReplicaClient client, CompactionSettings settings, CompactionFaults faults, StatusTracker tracker,
            Timeline timeline) {
        this.client = client;
        this.settings = settings;
        this.faults = faults;
        this.tracker = tracker;
        this.timeline = timeline;
        // Its longest question, declared before any is asked: its first run may come long after a clock step.
        timeline.keepFor(settings.retentionGrace(), settings.retention());
    }

    void setDeleteBatch(int files) {
        this.deleteBatch = files;
    }

    /** A file this process created (or a racing compactor moments ago): it exists since about {@code now}. */
    void created(LtxFileInfo file, Instant now) {
        createdHere.putIfAbsent(LtxFiles.key(file), now);
    }

    /** See {@link Compactor#retain(Instant, boolean)}; held uploads of deleted files are forgotten in {@code uploads}. */
    RetentionResult run(Instant now, boolean apply, RecentUploads uploads) throws IOException {
        long files = 0;
        long bytes = 0;
        try {
            Map<Integer, List<LtxFileInfo>> listing = RetentionPlan.listAll(client);
            Instant graceAgo = graceAgo(now);
            forgetOldCreations(graceAgo);
            noteNewFiles(listing, now);
            Duration window = settings.retention();
            RetentionPlan plan = RetentionPlan.compute(listing, now, earlier(now.minus(window), window),
                    graceAgo, earlier(graceAgo.minus(window), settings.retentionGrace().plus(window)), window,
                    settings.retentionGrace(), this::existsSince, faults.deleteTooEarly());
            if (plan.refusal() != null) {
                LOG.warn("retention: {}", plan.refusal());
            }
            if (!apply) {
                return new RetentionResult(false, plan, List.of(), 0);
            }
            List<LtxFileInfo> deleted = new ArrayList<>();
            List<LtxFileInfo> all = plan.delete();
            for (int at = 0, k = 0; at < all.size(); at += deleteBatch, k++) {
                List<LtxFileInfo> batch = List.copyOf(all.subList(at, Math.min(all.size(), at + deleteBatch)));
                FaultCrash.run(() -> faults.beforeDelete(batch));
                if (k < 3 || k % 10 == 0) {
                    // Before the first batches (and every tenth after): a listing costs little next to the deletes.
                    checkKeptFilesStillThere(plan);
                }
                client.deleteFiles(batch);
                if (uploads != null) {
                    batch.forEach(uploads::forget); // a file of that name later is not this upload
                }
                deleted.addAll(batch);
                files += batch.size();
                for (LtxFileInfo f : batch) {
                    bytes += f.size();
                }
            }
            RetentionResult result = new RetentionResult(true, plan, deleted, bytes);
            if (files > 0) {
                LOG.debug("retention deleted {} files ({} bytes); {} kept for {} restore points", files, bytes, // caller logs
                        plan.keep().size(), plan.restorePoints().size());
            }
            tracker.retained(now, result);
            return result;
        } catch (FaultCrash crash) {
            tracker.retentionFailed(now, crash.getCause(), files, bytes);
            throw crash;
        } catch (IOException | RuntimeException e) {
            if (apply) {
                tracker.retentionFailed(now, e, files, bytes);
            }
            throw e;
        }
    }

    /**
     * Another process deleting from the replica (a second retention run) can remove files this plan keeps as the only
     * path to a point while this run deletes the others. A fresh listing right before deleting narrows that window to
     * the deletes themselves: if a kept file vanished, nothing more is deleted and the run is retried later. Only the
     * part of each level that holds kept files is listed (from its lowest kept file on): the files to delete, a
     * backlog of maybe 100,000 below the window, are not listed again, so a run lists each level's backlog once.
     */
    private void checkKeptFilesStillThere(RetentionPlan plan) throws IOException {
        long[] from = new long[ReplicaClient.MAX_LEVEL + 1];
        boolean[] holdsKept = new boolean[ReplicaClient.MAX_LEVEL + 1];
        for (LtxFileInfo f : plan.keep()) {
            if (!holdsKept[f.level()] || Long.compareUnsigned(f.minTxid(), from[f.level()]) < 0) {
                from[f.level()] = f.minTxid();
            }
            holdsKept[f.level()] = true;
        }
        Set<String> present = new HashSet<>();
        for (int level = ReplicaClient.MIN_LEVEL; level <= ReplicaClient.MAX_LEVEL; level++) {
            if (holdsKept[level]) {
                for (LtxFileInfo f : client.listFiles(level, from[level], false)) {
                    present.add(LtxFiles.key(f));
                }
            }
        }
        List<LtxFileInfo> vanished = new ArrayList<>();
        for (LtxFileInfo f : plan.keep()) {
            if (!present.contains(LtxFiles.key(f))) {
                vanished.add(f);
            }
        }
        if (!vanished.isEmpty()) {
            throw new CompactionException("retention stopped deleting: " + vanished.size() + " file(s) it keeps vanished"
                    + " while it planned (first " + vanished.get(0) + "); another process is deleting from this"
                    + " replica");
        }
    }

    private Instant existsSince(LtxFileInfo f) {
        Instant created = f.createdAt() == null ? Instant.EPOCH : f.createdAt();
        Instant here = createdHere.get(LtxFiles.key(f));
        return here != null && here.isAfter(created) ? here : created;
    }

    /**
     * Files that appeared since the previous retention listing (created by another process: a rival compactor, a
     * Litestream daemon) exist at most since now. The first listing of a process has no such knowledge.
     */
    private void noteNewFiles(Map<Integer, List<LtxFileInfo>> listing, Instant now) {
        Set<String> keys = new HashSet<>();
        for (List<LtxFileInfo> files : listing.values()) {
            for (LtxFileInfo f : files) {
                String k = LtxFiles.key(f);
                keys.add(k);
                if (lastListing != null && f.level() > 0 && !lastListing.contains(k)) {
                    createdHere.putIfAbsent(k, now);
                }
            }
        }
        lastListing = keys;
    }

    /**
     * The grace cut: the wall clock's reading the grace period ago on the monotonic clock, or {@code now - grace} if
     * that is earlier. A forward step within the grace would otherwise make every file "old enough" at once (the
     * grace collapsed: field probe, probe2); after a backward step {@code now - grace} is the earlier, and files stamped
     * before the step stay "in the future" until the clock passes them (safe: kept).
     */
    private Instant graceAgo(Instant now) {
        Instant plain = now.minus(settings.retentionGrace());
        Instant seen = timeline.wallAgo(settings.retentionGrace());
        return seen.isBefore(plain) && !faults.wallClockWindow() ? seen : plain;
    }

    /**
     * {@code plain}, or what the wall clock read {@code ago} before now on the monotonic clock if that is earlier: the
     * window's start. A forward step (a clock set a year ahead by mistake, a corrected RTC) would otherwise push every
     * state it jumped over out of the window, to be deleted once the grace passed: history the settings promise to
     * keep for {@code retention} of real time. A backward step leaves {@code plain} the earlier (keeps more).
     */
    private Instant earlier(Instant plain, Duration ago) {
        Instant seen = timeline.wallAgo(ago);
        return seen.isBefore(plain) && !faults.wallClockWindow() ? seen : plain;
    }

    /** Creations older than the grace cut no longer matter to it. */
    private void forgetOldCreations(Instant cut) {
        createdHere.values().removeIf(t -> t.isBefore(cut));
    }
}
