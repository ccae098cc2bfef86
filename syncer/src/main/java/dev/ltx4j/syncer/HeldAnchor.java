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
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@link Follower}'s proof that the replica still contains the state it holds (its class comment, "Continuity"):
 * the anchor (the file whose max TXID is the held TXID), the checksums of the states held lately and the files they
 * were read from. Callers hold the database's sync lock.
 */
final class HeldAnchor {
    /** How many held TXIDs keep their checksum, to check files that straddle the held TXID. */
    private static final int CHECKSUM_HISTORY = 1024;

    private final Database db;
    private volatile LoadedFile anchor;
    private final TreeMap<Long, Long> heldChecksums = new TreeMap<>();
    /** The file each remembered checksum was read from (its post-apply checksum), verified before blaming. */
    private final TreeMap<Long, RemoteFile> heldFrom = new TreeMap<>();

    HeldAnchor(Database db) {
        this.db = db;
    }

    /** Starts over on an opened (or reloaded) state whose last file is {@code last} (null: an empty plan). */
    void reset(DatabaseVersion v, LoadedFile last) {
        anchor = last;
        heldChecksums.clear();
        heldFrom.clear();
        remember(v, last);
    }

    /** The anchor, or null. */
    LoadedFile anchor() {
        return anchor;
    }

    /** The last file applied becomes the anchor. */
    void applied(LoadedFile last) {
        anchor = last;
    }

    /** Why the anchor no longer proves the held state, or null when it does. */
    String checkAnchor(DatabaseVersion cur, PollListing listing) throws IOException {
        if (anchor == null) {
            return null;
        }
        LtxFileInfo a = anchor.info();
        LtxHeader now;
        try {
            now = LtxHeader.parse(readHeader(a), a.toString());
        } catch (ReplicaNotFoundException e) {
            if (covered(cur, listing) || covered(cur, PollListing.list(db.client, null))) {
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
    private boolean covered(DatabaseVersion cur, PollListing listing) throws IOException {
        long t = cur.txid();
        LtxFileInfo a = anchor.info();
        for (LtxFileInfo f : listing.files()) {
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
    String continues(DatabaseVersion v, LoadedFile f) {
        long start = f.header().minTxid() - 1;
        if (start == v.txid()) {
            return ReplicaIndex.continuity(v.txid(), v.checksum(), f);
        }
        Long held = heldChecksums.get(start);
        return held == null ? null : ReplicaIndex.continuity(start, held, f);
    }

    void remember(DatabaseVersion v, LoadedFile from) {
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
    void verifyBeforeBlaming(LoadedFile f) throws IOException {
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

    /**
     * Verifies {@code prev} (the file the state {@code f} grows was read from; null or gone: not checked) and
     * {@code f} whole (ReplicaIndex.checkGrowth).
     *
     * @throws dev.ltx4j.pagestore.replica.ReplicaFileCorruptException when either file is corrupt
     */
    void verifyWhole(LoadedFile prev, LoadedFile f) throws IOException {
        if (db.options.faults.trustUnverifiedChecksums) {
            return; // as verifyBeforeBlaming: the switch decides on headers alone
        }
        if (prev != null) {
            try {
                verify(prev.remoteFile());
            } catch (ReplicaNotFoundException gone) {
                // nothing left to verify: the file alone decides
            }
        }
        verify(f.remoteFile());
    }

    /** Verifies a whole file through the reader's verifier (remembered, shared with page reads) or a strict one. */
    private void verify(RemoteFile file) throws IOException {
        FileVerifier v = db.reader().verifier();
        (v.enabled() ? v : new FileVerifier(db.client, new PageCache(0), true)).ensure(file, 0);
    }

    /** Whether the anchor is still there with the header it had (one header read); false: gone or rewritten. */
    boolean anchorUnchanged() throws IOException {
        return anchorHeaderHolds(false);
    }

    /**
     * Whether the replica does not contradict the held state (one header read): the anchor is there unchanged, or
     * gone (compaction and retention delete files; the next poll checks coverage). False when a file with the
     * anchor's name now holds another header. Without checksums this is the only way to tell that a state
     * rebuilt from the replica's current files is the held one and not another history's.
     */
    boolean anchorNotContradicted() throws IOException {
        return anchorHeaderHolds(true);
    }

    /** The anchor's header read again equals the held one; {@code whenGone} answers for a deleted anchor. */
    private boolean anchorHeaderHolds(boolean whenGone) throws IOException {
        LoadedFile a = anchor;
        if (a == null) {
            return true;
        }
        LtxFileInfo i = a.info();
        try {
            return LtxHeader.parse(readHeader(i), i.toString()).equals(a.header());
        } catch (ReplicaNotFoundException e) {
            return whenGone;
        } catch (LtxFormatException e) {
            return false;
        }
    }

    /** For tests: the checksums the follower remembers. */
    Map<Long, Long> heldChecksums() {
        return heldChecksums;
    }}
