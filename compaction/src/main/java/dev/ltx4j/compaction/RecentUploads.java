package dev.ltx4j.compaction;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The bytes of a writer's own recent uploads, so its compaction does not download again (one GET per level-0 file,
 * about 86,400 a day for a busy writer) what it uploaded moments ago. In memory only and bounded in bytes: the oldest
 * uploads go first; after a restart it is empty and compaction reads from the store as before.
 *
 * <p>Only an upload that is known to be on the replica with exactly these bytes may be recorded: a create that
 * succeeded, or one of unknown outcome whose read-back found this writer's NodeID and file checksum. A candidate is
 * offered for a listed file only when level, TXID range and size match and the held bytes still have the CRC-64
 * they had when recorded (a damaged or mixed-up entry is dropped). That alone does not prove the listed object is
 * this upload (a replaced replica or a rival may have written a file of the same name and size since), so the
 * compactor anchors every run of held inputs to the store before merging (docs/compaction-upload-reuse.md). Files
 * compacted or deleted are forgotten. Thread-safe: the sync records, the compaction lane takes.
 */
public final class RecentUploads {
    /** Default bound: 16 MiB, several minutes of a busy writer's level-0 files (one L1 compaction is 30 s of them). */
    public static final long DEFAULT_MAX_BYTES = 16L << 20;

    private final long maxBytes;
    /** Upload order (oldest first), keyed by level/min/max. */
    private final LinkedHashMap<String, Held> held = new LinkedHashMap<>();
    private long bytes;
    private long served;
    private long refused;

    /** One upload: its listing identity, its bytes and their CRC-64 when recorded. */
    record Held(LtxFileInfo info, byte[] data, long crc) {
        LtxHeader header() throws LtxFormatException {
            return LtxHeader.parse(data, info.toString());
        }

        /** The last 16 bytes: post-apply checksum and file checksum, as the store holds them for this upload. */
        long postApply() {
            return readLong(data, data.length - Ltx.TRAILER_SIZE);
        }
    }

    /** @param maxBytes the bound; 0 keeps nothing (every compaction input is downloaded) */
    public RecentUploads(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("compaction_upload_cache must not be negative: " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Records an upload of this writer that is on the replica with exactly {@code body}'s bytes. Files larger than a
     * quarter of the bound are not kept (they would push out many small ones; compaction downloads them).
     */
    public void uploaded(LtxFileInfo info, LtxBody body) throws IOException {
        Objects.requireNonNull(info, "info");
        long length = body.length();
        if (maxBytes == 0 || length != info.size() || length > maxBytes / 4 || length < Ltx.HEADER_SIZE + Ltx.TRAILER_SIZE) {
            return;
        }
        byte[] data;
        try (InputStream in = body.open()) {
            data = in.readNBytes((int) length);
        }
        if (data.length != length) {
            return;
        }
        // The CRC of the bytes as held. The file checksum the encoder wrote cannot stand in for it: it covers the
        // uncompressed pages, so checking these bytes against it means decoding them (docs/crc64-native.md).
        Held h = new Held(info, data, Crc64.checksum(data));
        synchronized (this) {
            Held old = held.remove(key(info));
            if (old != null) {
                bytes -= old.data().length;
            }
            held.put(key(info), h);
            bytes += data.length;
            Iterator<Held> it = held.values().iterator();
            while (bytes > maxBytes && it.hasNext()) {
                bytes -= it.next().data().length;
                it.remove();
            }
        }
    }

    /**
     * The held upload named like {@code listed} with its size, whose bytes are intact; null when there is none (then
     * the caller downloads the file).
     */
    synchronized Held candidate(LtxFileInfo listed) {
        Held h = held.get(key(listed));
        if (h == null || h.info().size() != listed.size() || h.data().length != listed.size()) {
            return null;
        }
        if (Crc64.checksum(h.data()) != h.crc()) {
            held.remove(key(listed)); // changed in memory since recorded: never serve it
            bytes -= h.data().length;
            return null;
        }
        return h;
    }

    /** Forgets a file (compacted into the next level, deleted by retention, or found not to be this upload). */
    public synchronized void forget(LtxFileInfo f) {
        Held h = held.remove(key(f));
        if (h != null) {
            bytes -= h.data().length;
        }
    }

    /** Forgets everything (the replica was reloaded or replaced). */
    public synchronized void clear() {
        held.clear();
        bytes = 0;
    }

    synchronized void counted(long servedNow, long refusedNow) {
        served += servedNow;
        refused += refusedNow;
    }

    /** Compaction inputs served from here instead of the store, since start. */
    public synchronized long served() {
        return served;
    }

    /** Held inputs not used because their anchor in the store did not match (a rival's or replaced file). */
    public synchronized long refused() {
        return refused;
    }

    /** Bytes held now. */
    public synchronized long heldBytes() {
        return bytes;
    }

    /** Files held now. */
    public synchronized int heldFiles() {
        return held.size();
    }

    private static String key(LtxFileInfo f) {
        return f.level() + "/" + f.minTxid() + "/" + f.maxTxid();
    }

    static long readLong(byte[] b, int at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    /** Snapshot of the counters (for tests and status). */
    public synchronized Map<String, Long> counters() {
        return Map.of("served", served, "refused", refused, "held_bytes", bytes, "held_files", (long) held.size());
    }
}
