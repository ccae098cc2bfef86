package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.PageMap;
import dev.ltx4j.pagestore.replica.PageRef;
import dev.ltx4j.pagestore.replica.RemoteFile;
import dev.ltx4j.pagestore.replica.RemotePage;
import dev.ltx4j.pagestore.replica.TxidUnavailableException;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.RestorePlanException;
import dev.ltx4j.replica.RestoreTarget;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Relocation of a {@link Database}'s page map after a replica file it points at vanished (compaction or retention
 * deleted it under a pinned reader): rebuilds the map at the pinned TXID from the current restore plan, answers the
 * page's new location, and has {@link PublishedVersions} patch the versions at that TXID (the current one, the sync
 * base) under its state lock, so later reads go straight to the new file. Owns {@code relocateLock} (one rebuild at a
 * time; released before the state lock is taken) and the last rebuilt map (docs/engine-invariants.md).
 */
final class Relocations {
    private final Database db;
    private final PublishedVersions versions;
    /** One rebuild of a page map at a time; released before {@code stateLock} is taken. */
    private final Object relocateLock = new Object();
    /** The last page map rebuilt by a relocation; guarded by relocateLock. */
    private DatabaseVersion relocated;

    Relocations(Database db, PublishedVersions versions) {
        this.db = db;
        this.versions = versions;
    }

    /** Forgets the last rebuilt map (a reload started a new lineage). */
    void forget() {
        synchronized (relocateLock) {
            relocated = null;
        }
    }

    /**
     * A replica file the page map points at is gone: rebuilds the page map at the pinned version's TXID from the
     * current restore plan and answers the page's location there. Versions at that TXID (the current one, the
     * sync base) are patched so later reads go straight to the new file.
     */
    RemotePage relocate(DatabaseVersion v, long pgno, RemotePage missing) throws IOException {
        if (v.txid() == 0) {
            return null;
        }
        DatabaseVersion rebuilt;
        synchronized (relocateLock) {
            rebuilt = relocated;
            if (rebuilt == null || rebuilt.txid() != v.txid() || containsFile(rebuilt, missing, v.commit())) {
                try {
                    rebuilt = db.index.openState(RestoreTarget.txid(v.txid()), knownFiles(v, missing)).version();
                } catch (RestorePlanException e) {
                    TxidUnavailableException gone = new TxidUnavailableException(v.txid(), "page " + pgno
                            + " was in replica file " + missing.file() + ", which is gone, and no restore plan over"
                            + " the remaining files reaches that TXID (" + e.getMessage() + ")", e);
                    db.reportError(gone.getMessage());
                    throw gone;
                }
                if (rebuilt.txid() != v.txid()) {
                    return null;
                }
                if (!db.writeMode && (v.checksum() == 0 || rebuilt.checksum() == 0)
                        && !db.follower.anchorNotContradicted()) {
                    // No checksums to compare: rebuild only while the file that proves the held state is there.
                    db.reportError("page " + pgno + " of TXID " + Txid.format(v.txid()) + " is gone with replica"
                            + " file " + missing.file() + " and the replica may hold another history now (no"
                            + " checksums to tell); the next poll decides");
                    return null;
                }
                if (v.checksum() != 0 && rebuilt.checksum() != 0 && rebuilt.checksum() != v.checksum()) {
                    db.reportError("page " + pgno + " of TXID " + Txid.format(v.txid()) + " is gone with replica"
                            + " file " + missing.file() + " and the replica's state at that TXID is a different"
                            + " database (checksum " + Long.toHexString(rebuilt.checksum()) + ", held "
                            + Long.toHexString(v.checksum()) + ")");
                    return null;
                }
                relocated = rebuilt;
            }
        }
        versions.patchRelocated(rebuilt, missing);
        return rebuilt.pages().get(pgno) instanceof RemotePage rp ? rp : null;
    }

    /**
     * Files known to exist (or to have existed) besides what a listing shows: those {@code v} and the current
     * version were built from (but the missing one), and in write mode this writer's newest uploads. A store whose
     * listings lag behind its writes may not list the newest of them yet; planning with them keeps every TXID this
     * engine itself published or loaded reachable (docs/compaction-engine.md).
     */
    private List<LtxFileInfo> knownFiles(DatabaseVersion v, RemotePage missing) {
        if (db.options.faults.relocateFromListingOnly) {
            return List.of(); // bug switch (simulator): the listing alone
        }
        Set<RemoteFile> files = new LinkedHashSet<>();
        for (DatabaseVersion d : new DatabaseVersion[] {v, versions.current()}) {
            for (long p = 1; p <= d.commit(); p++) {
                if (d.pages().get(p) instanceof RemotePage rp) {
                    files.add(rp.file());
                }
            }
        }
        List<LtxFileInfo> known = new ArrayList<>();
        for (RemoteFile f : files) {
            known.add(new LtxFileInfo(f.level(), f.minTxid(), f.maxTxid(), f.sizeBytes(), null));
        }
        if (db.writeMode) {
            known.addAll(db.ownUploads.recent());
        }
        RemoteFile gone = missing.file();
        known.removeIf(k -> k.level() == gone.level() && k.minTxid() == gone.minTxid() && k.maxTxid() == gone.maxTxid());
        return known;
    }

    private static boolean containsFile(DatabaseVersion v, RemotePage missing, long commit) {
        for (long p = 1; p <= Math.min(commit, v.commit()); p++) {
            if (v.pages().get(p) instanceof RemotePage rp && rp.file().equals(missing.file())) {
                return true;
            }
        }
        return false;
    }

    /** {@code v} with its entries in the missing file replaced by the rebuilt map's entries. */
    static DatabaseVersion patch(DatabaseVersion v, DatabaseVersion rebuilt, RemotePage missing) {
        PageMap.Builder b = v.pages().edit();
        boolean changed = false;
        for (long p = 1; p <= v.commit(); p++) {
            if (v.pages().get(p) instanceof RemotePage rp && rp.file().equals(missing.file())) {
                PageRef now = rebuilt.pages().get(p);
                b.put(p, now instanceof RemotePage ? now : null, v.pages().checksum(p));
                changed = true;
            }
        }
        return changed ? new DatabaseVersion(v.pageSize(), v.commit(), v.txid(), v.localSeq(), v.checksum(),
                b.build()) : v;
    }
}
