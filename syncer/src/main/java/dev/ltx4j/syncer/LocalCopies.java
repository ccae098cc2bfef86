package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.DiskPageCache;
import dev.ltx4j.pagestore.replica.HydrationFaults;
import dev.ltx4j.pagestore.replica.HydrationStatus;
import dev.ltx4j.pagestore.replica.Hydrator;
import dev.ltx4j.pagestore.replica.LocalPageSource;
import dev.ltx4j.pagestore.storage.SecureFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A database's local copies of replica pages (docs/hydration.md): the {@link Hydrator} with its own scheduler lane
 * (a long download never delays a poll or a sync), or the {@link DiskPageCache}. The page readers ask them after
 * their memory cache. Hydration follows the replica state: the published version in read mode, the sync base (what
 * the replica holds) in write mode.
 */
final class LocalCopies implements AutoCloseable {
    private final Database db;
    private final Hydrator hydrator;
    private final DiskPageCache diskCache;
    private final Scheduler lane;

    private LocalCopies(Database db, Hydrator hydrator, DiskPageCache diskCache) {
        this.db = db;
        this.hydrator = hydrator;
        this.diskCache = diskCache;
        this.lane = hydrator == null ? null : new Scheduler("ltx4j-hydrate-" + db.name, db.options.clock, null);
    }

    /** Whole bytes of a small replica file the engine downloaded anyway: hydration uses them, not a download. */
    void offer(dev.ltx4j.pagestore.replica.RemoteFile file, byte[] bytes) {
        if (hydrator != null) {
            hydrator.offer(file, bytes);
        }
    }

    /** The local copies {@code db}'s options ask for, or null when none. */
    static LocalCopies of(Database db, LocalFiles files) {
        HydrationOptions o = db.options.hydration;
        if (!o.hydration() && o.diskCacheBytes() == 0) {
            return null;
        }
        Path buffer = files.bufferPath() != null ? files.bufferPath()
                : Path.of(System.getProperty("java.io.tmpdir"), "ltx4j-" + db.name);
        try {
            if (o.hydration()) {
                Path p = o.path();
                if (p == null) {
                    SecureFiles.privateDirectory(buffer.getParent(), true);
                    p = buffer.resolveSibling(buffer.getFileName() + ".hydrated");
                }
                HydrationFaults faults = db.options.hydrationFaults;
                Hydrator h = new Hydrator(db.client, p, faults);
                h.setFetcher(db.fetches.fetcher());
                return new LocalCopies(db, h, null);
            }
            Path dir = o.diskCachePath();
            if (dir == null) {
                SecureFiles.privateDirectory(buffer.getParent(), true);
                dir = buffer.resolveSibling(buffer.getFileName() + ".cache");
            }
            return new LocalCopies(db, null, DiskPageCache.open(dir, db.options.replicaIdentity + "\n" + db.name,
                    o.diskCacheBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the local copy of database \"" + db.name + "\": "
                    + e.getMessage(), e);
        }
    }

    /** What readers of {@code lineage} ask after their memory cache. */
    LocalPageSource sourceFor(long lineage) {
        return hydrator != null ? hydrator.forLineage(lineage) : diskCache.forLineage(lineage);
    }

    /** One hydration step (the lane calls it every poll or sync interval; the simulator calls it directly). */
    HydrationStatus hydrateOnce(Instant now) {
        if (hydrator == null) {
            return null;
        }
        DatabaseVersion target = db.isWriteMode() ? db.baseVersion() : db.current();
        if (target == null) {
            return hydrator.status();
        }
        return hydrator.step(target, db.lineage(), now);
    }

    HydrationStatus hydrationStatus() {
        return hydrator == null ? null : hydrator.status();
    }

    DiskPageCache.Stats diskCacheStats() {
        return diskCache == null ? null : diskCache.stats();
    }

    void start() {
        if (lane != null) {
            lane.execute(() -> hydrateOnce(db.options.clock.instant())); // start now, not one interval later
            lane.start(db.isWriteMode() ? db.options.syncInterval : db.options.pollInterval, this::hydrateOnce);
        }
    }

    @Override
    public void close() {
        if (hydrator != null) {
            hydrator.close();
            lane.close();
        }
        if (diskCache != null) {
            diskCache.close();
        }
    }
}
