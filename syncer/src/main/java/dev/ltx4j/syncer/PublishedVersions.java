package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.BufferBase;
import dev.ltx4j.pagestore.BufferGeneration;
import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.WriteTransaction;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.LoadedFile;
import dev.ltx4j.pagestore.replica.LocalPage;
import dev.ltx4j.pagestore.replica.PageCache;
import dev.ltx4j.pagestore.replica.PageReader;
import dev.ltx4j.pagestore.replica.RemotePage;
import dev.ltx4j.pagestore.replica.ReplicaIndex;
import java.io.IOException;
import java.util.function.BooleanSupplier;

/**
 * The published version of a {@link Database} and everything that must change together with it: the sync base,
 * the write-buffer generations the versions point into, the page reader and read mode's lineage. It is their only
 * writer and owns the innermost engine lock, {@code stateLock} (every swap of the fields below; held briefly, no
 * replica I/O). Pins are taken here, so a pin always sees a version together with the generation it points into
 * (docs/engine-invariants.md I2, I9, I10). What is built without the lock lives beside it: the version a commit
 * publishes ({@link NextVersions}) and the page map rebuilt after a replica file vanished ({@link Relocations},
 * which owns {@code relocateLock} and patches the versions through {@link #patchRelocated}). Who hears of each change
 * (the VFS's page view and version stamp) is kept by {@link VersionListeners}, told here under the lock.
 */
final class PublishedVersions {
    /** A buffer operation that may rewrite the buffer file. */
    @FunctionalInterface
    interface Rewrite {
        void run() throws IOException;
    }

    /** The version to publish on a new generation (null: keep the current one), computed under stateLock. */
    @FunctionalInterface
    private interface NextVersion {
        DatabaseVersion on(BufferGeneration fresh, LocalGeneration old);
    }

    private final Database db;
    /** Innermost engine lock: swaps the published version and generations; no replica I/O under it. */
    private final Object stateLock = new Object();
    private volatile DatabaseVersion current;
    /**
     * Write mode: the replica state the unsynced transactions build on. Written only under {@code stateLock},
     * together with {@link #current} where both change, so a relocation patching it never puts back an older one.
     */
    private volatile DatabaseVersion baseVersion;
    /** The buffer file generation {@link #current} points into (null without a buffer); written under stateLock. */
    private volatile LocalGeneration currentGen;
    /**
     * A seqlock over what {@link #pin()} reads, so read transactions pin without taking stateLock (readers of many
     * connections pin once per transaction each, and a writer publishing under stateLock, descheduled on a loaded
     * machine, stalled them all). Odd while a block that changes two of current, currentGen, reader, lineage and
     * readsRefused together runs ({@link #changing()} .. {@link #changed()}); a block that changes current alone
     * needs none (the new version points into the same generation). Written under stateLock only.
     */
    private volatile long pinStamp;
    /** Generation a write transaction that begins now writes to; null while a buffer rewrite runs. */
    private volatile LocalGeneration writerGen;
    /** Rebuilds the page map after a replica file vanished; patches versions through {@link #patchRelocated}. */
    private final Relocations relocations;
    /**
     * Read mode: which history of the replica the published state belongs to. It changes when the follower finds
     * that the replica no longer contains its state; read transactions of an earlier lineage then fail.
     */
    private volatile long lineage;
    /** Read mode: why new read transactions are refused (diverged, new state not loaded yet), or null. */
    private volatile String readsRefused;
    /** Reads pages; one per lineage (its own cache), so pages of a replaced replica's files never mix. */
    private volatile PageReader reader;
    /** Told of every change, under stateLock: the page listeners before it, the version listeners after it. */
    private final VersionListeners listeners = new VersionListeners();

    PublishedVersions(Database db) {
        this.db = db;
        this.relocations = new Relocations(db, this);
        this.reader = newReader(0);
    }

    /** A page reader with an empty cache whose relocations serve lineage {@code of} only. */
    private PageReader newReader(long of) {
        EngineOptions options = db.options;
        PageReader r = new PageReader(db.client, new PageCache(options.cacheBytes), options.readAheadPages,
                (long) options.readAheadPages * 70_000, !options.faults.skipPageVerification);
        r.setRelocator((v, pgno, missing) -> lineage == of ? relocations.relocate(v, pgno, missing) : null);
        r.verifier().setFetcher(db.fetches.fetcher()); // parallel ranged reads of large files
        if (db.localCopies != null) {
            r.setLocalSource(db.localCopies.sourceFor(of)); // hydrated file or disk cache (docs/hydration.md)
        }
        return r;
    }

    PageReader reader() {
        return reader;
    }

    /** See {@link Database#onPagesChanging}. */
    void onPagesChanging(Database.PageChangeListener listener) {
        listeners.onPagesChanging(listener);
    }

    /** A change that only {@link Database#refresh} knows of (its refresh count), announced like any other. */
    void announceUnknownChange() {
        synchronized (stateLock) {
            listeners.pagesChanging(null);
            listeners.announce();
        }
    }

    /** Adds a listener told after every change; see {@link Database#onVersionChange}. */
    void onChange(Runnable listener) {
        listeners.onChange(listener);
    }

    /** Which history of the replica the published state belongs to; a follower reload starts a new one. */
    long lineage() {
        return lineage;
    }

    /** The follower found the replica no longer contains its state: pinned reads fail, new ones are refused. */
    void enterDivergence(String why) {
        synchronized (stateLock) {
            listeners.pagesChanging(null);
            changing();
            lineage++;
            readsRefused = why;
            changed();
            listeners.announce();
        }
    }

    /** Publishes the replica's new state as the current lineage, with an empty page cache (callers hold syncLock). */
    void installReloaded(DatabaseVersion v) {
        relocations.forget();
        synchronized (stateLock) {
            listeners.pagesChanging(null);
            changing();
            reader = newReader(lineage);
            current = v;
            readsRefused = null;
            changed();
            listeners.announce();
        }
    }

    // ------------------------------------------------------------------------------------------ state access

    /** The latest published version. */
    DatabaseVersion current() {
        return current;
    }

    void publish(DatabaseVersion v) {
        synchronized (stateLock) {
            listeners.pagesChanging(null);
            current = v;
            listeners.announce();
        }
    }

    /** Publishes {@code v} as the current version and the sync base in one step (open, refresh). */
    void publishBase(DatabaseVersion v) {
        synchronized (stateLock) {
            listeners.pagesChanging(null);
            baseVersion = v;
            current = v;
            listeners.announce();
        }
    }

    /** The replica state the unsynced transactions build on (write mode). */
    DatabaseVersion baseVersion() {
        return baseVersion;
    }

    /** Runs {@code action} under stateLock: the first write creating the buffer, seen by pins as one step. */
    void locked(Rewrite action) throws IOException {
        synchronized (stateLock) {
            listeners.pagesChanging(null);
            action.run();
            listeners.announce();
        }
    }

    // ------------------------------------------------------------------------------------------ generations

    /** Marks the start of a change {@link #pin()}'s lock-free path must not see half done (under stateLock). */
    private void changing() {
        pinStamp = (pinStamp + 2) | 1;
    }

    /** Marks its end (a block that threw leaves the stamp odd until the next one ends: pins take the lock meanwhile). */
    private void changed() {
        pinStamp = pinStamp + 1;
    }

    Pin pin() {
        long stamp = pinStamp;
        if ((stamp & 1) == 0 && readsRefused == null) {
            DatabaseVersion v = current;
            LocalGeneration g = currentGen;
            PageReader r = reader;
            long l = lineage;
            if (g == null || g.retain()) {
                if (pinStamp == stamp && readsRefused == null) {
                    return new Pin(v, g, r, l);
                }
                if (g != null) {
                    g.release();
                }
            }
        }
        synchronized (stateLock) {
            String refused = readsRefused;
            if (refused != null) {
                throw new ReplicaDivergedException(refused);
            }
            LocalGeneration g = currentGen;
            if (g != null && !g.retain()) {
                throw new IllegalStateException("buffer generation " + g + " of the current version is closed");
            }
            return new Pin(current, g, reader, lineage);
        }
    }

    /** Generation a write transaction that has just begun writes to, or null when a rewrite may be running. */
    LocalGeneration writerGeneration() {
        return writerGen;
    }

    /** Publishes {@code v} as current version and base on the first generation of a new buffer (first write). */
    void startOn(WriteBuffer buf, DatabaseVersion v) throws IOException {
        synchronized (stateLock) {
            listeners.pagesChanging(null);
            baseVersion = v;
            current = v;
            installFirstGeneration(buf);
            listeners.announce();
        }
    }

    /**
     * Publishes what restart recovery found on the first generation of the opened buffer: the remote state as the
     * base, with the held transactions on top when they build on it ({@code onBase}). At open, before sharing.
     */
    void startReconciled(WriteBuffer buf, DatabaseVersion remote, boolean onBase) throws IOException {
        swapGeneration(buf, (fresh, old) -> {
            baseVersion = remote;
            return onBase ? NextVersions.overlay(remote, buf.pageSize(), fresh)
                    : NextVersions.withSeq(remote, buf.lastCommittedSeq());
        });
    }

    /** Opens the first generation after the buffer was opened (no reader or writer runs yet). */
    private BufferGeneration installFirstGeneration(WriteBuffer buf) throws IOException {
        return swapGeneration(buf, (fresh, old) -> null);
    }

    /**
     * Runs a buffer rewrite (markSynced, reset) and moves the published version onto the new file generation:
     * {@code replacement} when given, else the current version with its local pages re-pointed at their records
     * in the new file. Pins of older versions keep their generation open. Callers hold {@code syncLock} (or run
     * before the database is shared).
     */
    void rewriteBuffer(WriteBuffer buf, Rewrite rewrite, DatabaseVersion replacement) throws IOException {
        rewriteBuffer(buf, rewrite, (fresh, old) -> replacement != null ? replacement : NextVersions.repoint(current, fresh, old));
    }

    private void rewriteBuffer(WriteBuffer buf, Rewrite rewrite, NextVersion next) throws IOException {
        rewriteBuffer(buf, rewrite, next, () -> false);
    }

    /**
     * As above; when the rewrite fails but {@code landed} says it replaced the file all the same (its rename landed,
     * the directory sync after it failed and stopped the buffer), {@code next} is published before the failure is
     * rethrown: the buffer holds the new base, and re-pointing the old version would leave its pages of the trimmed
     * transactions in the released generation.
     */
    private void rewriteBuffer(WriteBuffer buf, Rewrite rewrite, NextVersion next, BooleanSupplier landed)
            throws IOException {
        writerGen = null;
        try {
            rewrite.run();
        } catch (IOException | RuntimeException e) {
            try {
                // the rewrite may or may not have replaced the file
                swapGeneration(buf, landed.getAsBoolean() ? next : (fresh, old) -> NextVersions.repoint(current, fresh, old));
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        swapGeneration(buf, next);
    }

    /**
     * Publishes an uploaded file (its synced pages become remote entries) and advances the base in one step, then
     * trims the buffer and moves the remaining local pages to its new file (I2). Callers hold {@code syncLock}.
     */
    void install(WriteBuffer buf, SyncEngine.Install in) throws IOException {
        synchronized (stateLock) {
            listeners.pagesChanging(null);
            current = in.merge().apply(current);
            baseVersion = in.newBase();
            listeners.announce();
        }
        rewriteBuffer(buf, in.trim(), (DatabaseVersion) null);
    }

    /**
     * Records an own upload found on the replica (its outcome was lost or the buffer could not record it): marks
     * the buffered transactions up to {@code upToSeq} synced on the file's TXID and rebuilds the published
     * version as the file applied to the sync base with the remaining transactions on top. Callers hold
     * {@code syncLock}.
     */
    void adoptUpload(WriteBuffer buf, long upToSeq, LoadedFile file) throws IOException {
        long txid = file.header().maxTxid();
        long post = file.header().noChecksum() ? 0 : file.postApplyChecksum();
        db.ownUploads.uploaded(file.info());
        DatabaseVersion oldBase = baseVersion;
        // A sync that installed this file but failed to rewrite the buffer already advanced the base.
        DatabaseVersion newBase = oldBase.txid() == txid ? oldBase : ReplicaIndex.apply(oldBase, file);
        rewriteBuffer(buf, () -> buf.markSynced(upToSeq, txid, post), (fresh, old) -> {
            baseVersion = newBase;
            // Only what was published: a stopped buffer also holds the transaction whose commit failed.
            return NextVersions.overlay(newBase, buf.pageSize(), fresh.upTo(current.localSeq()));
        }, () -> landedOn(buf, txid, post)); // the file is this writer's on the replica: recorded as the buffer holds it
    }

    /** Whether the (stopped) buffer's base is the one an adoption's rewrite makes: the rewrite replaced the file. */
    private boolean landedOn(WriteBuffer buf, long txid, long post) {
        if (db.options.faults.forgetLandedAdoption) {
            return false; // fault point, off
        }
        BufferBase b = buf.base();
        return buf.stopped() && b.txid() == txid && b.postApplyChecksum() == post;
    }

    private void moveToNewGeneration(WriteBuffer buf, DatabaseVersion replacement) throws IOException {
        swapGeneration(buf, (fresh, old) -> replacement != null ? replacement : NextVersions.repoint(current, fresh, old));
    }

    /**
     * The one generation swap: opens the buffer's current file and publishes {@code next}'s version on it, making
     * it the generation of the current version and of the next write transaction; the engine's reference on the
     * previous generation is dropped (pins keep it open while they need it).
     */
    private BufferGeneration swapGeneration(WriteBuffer buf, NextVersion next) throws IOException {
        BufferGeneration fresh = buf.openGeneration(db.scheduler());
        LocalGeneration old;
        synchronized (stateLock) {
            listeners.pagesChanging(null);
            changing();
            old = currentGen;
            DatabaseVersion v = next.on(fresh, old);
            if (v != null) {
                current = v;
            }
            currentGen = fresh.generation();
            writerGen = currentGen;
            changed();
            listeners.announce();
        }
        if (old != null) {
            old.release();
        }
        return fresh;
    }

    /** The generation the current version points into (tests). */
    LocalGeneration currentGeneration() {
        synchronized (stateLock) {
            return currentGen;
        }
    }

    /** Drops the engine's references on its generations (close); returns the one to release, or null. */
    LocalGeneration dropGenerations() {
        synchronized (stateLock) {
            listeners.pagesChanging(null);
            changing();
            LocalGeneration gen = currentGen;
            currentGen = null;
            writerGen = null;
            changed();
            listeners.announce();
            listeners.closed();
            return gen;
        }
    }

    // ------------------------------------------------------------------------------------------ commits

    /**
     * Builds what {@link #publishCommit} will publish for a transaction whose commit record is written but not yet
     * durable (on the committing thread's warm caches, before the fsync sleeps; see {@link NextVersions}); null when
     * the fast path cannot apply (a rewrite moved the generation) or the build fails (publishCommit then does it
     * again, and reports the failure, after the fsync, as before). Building publishes nothing.
     */
    NextVersions.Prepared prepareCommit(int pageSize, long commit, long floor, WriteTransaction tx, long[] pages,
            long seq, LocalGeneration gen) {
        DatabaseVersion c = current;
        if (gen == null || gen != currentGen) {
            return null;
        }
        try {
            return NextVersions.build(c, pageSize, commit, floor, pages, seq, gen, tx::recordOffset,
                    db.options.faults.stalePageChecksum());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Publishes a committed transaction (after its record is durable): its pages become {@link LocalPage}s in the
     * generation it wrote to.
     *
     * @param gen      the generation observed right after the transaction began (null: a rewrite was running)
     * @param pages    every page the transaction wrote, ascending
     * @param prepared what {@link #prepareCommit} built before the fsync, or null
     */
    void publishCommit(WriteBuffer buffer, int pageSize, long commit, long floor, WriteTransaction tx,
            long[] pages, long seq, LocalGeneration gen, NextVersions.Prepared prepared) throws IOException {
        boolean stale = db.options.faults.stalePageChecksum(); // bug switch (simulator), off
        synchronized (stateLock) {
            if (gen != null && gen == currentGen) {
                // No rewrite moved the current version off the generation the transaction wrote to.
                if (prepared != null && prepared.from() == current && prepared.gen() == gen) {
                    swapIn(prepared); // nothing was published since it was built: it is exactly what would be
                } else {
                    swapIn(NextVersions.build(current, pageSize, commit, floor, pages, seq, gen, tx::recordOffset,
                            stale));
                }
                return;
            }
        }
        // A rewrite ran while the transaction was open or before it was published: its records were copied into
        // the newest generation; read their offsets there. No rewrite can start while syncLock is held.
        db.syncLock.lock();
        try {
            if (writerGen == null) {
                // The last rewrite could not open its new generation: do it now (no rewrite runs under syncLock).
                moveToNewGeneration(buffer, null);
            }
            NextVersions.Offsets offsets = NextVersions.afterRewrite(buffer, seq);
            synchronized (stateLock) {
                swapIn(NextVersions.build(current, pageSize, commit, floor, pages, seq, currentGen, offsets, stale));
            }
        } finally {
            db.syncLock.unlock();
        }
    }

    /** Under stateLock: tells the page listeners, then makes the built version current and announces it. */
    private void swapIn(NextVersions.Prepared p) {
        listeners.pagesChanging(db.options.faults.stalePageView() ? new long[0] : p.changed()); // fault: view not told
        current = p.next();
        listeners.announce();
    }

    // ------------------------------------------------------------------------------------------ relocation

    /** Patches the versions at {@code rebuilt}'s TXID (current, sync base) with its entries for a vanished file. */
    void patchRelocated(DatabaseVersion rebuilt, RemotePage missing) {
        synchronized (stateLock) {
            DatabaseVersion c = current;
            if (c.txid() == rebuilt.txid()) {
                current = Relocations.patch(c, rebuilt, missing);
            }
            DatabaseVersion base = baseVersion;
            db.options.faults.preempt(EngineFaults.Point.RELOCATION_PATCH);
            if (base != null && base.txid() == rebuilt.txid()) {
                baseVersion = Relocations.patch(base, rebuilt, missing);
            }
        }
    }
}
