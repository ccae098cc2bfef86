package dev.ltx4j.compaction;

import dev.ltx4j.ltx.DatabaseChecksum;
import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxDecoder;
import dev.ltx4j.ltx.LtxEncoder;
import dev.ltx4j.ltx.LtxHeader;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A database that changes by random transactions, each written as a level-0 LTX file the way a writer does
 * (Litestream style NoChecksum, or with database checksums as ltx4j tracks them), remembering the database bytes
 * after every TXID: the oracle the restores are compared with.
 */
final class Model {
    static final int PAGE_SIZE = 512;

    private final SplittableRandom random;
    private final boolean tracked;
    private final TreeMap<Long, byte[]> pages = new TreeMap<>();
    private final Map<Long, byte[]> databaseAt = new HashMap<>();
    private final DatabaseChecksum checksum = new DatabaseChecksum(PAGE_SIZE);
    private long commit;
    private long txid;

    Model(long seed, boolean tracked) {
        this.random = new SplittableRandom(seed);
        this.tracked = tracked;
    }

    long txid() {
        return txid;
    }

    /** The database bytes right after {@code txid}. */
    byte[] databaseAt(long txid) {
        return databaseAt.get(txid);
    }

    /** Writes the next transaction as an L0 file created at {@code at}. */
    LtxFileInfo commit(ReplicaClient client, Instant at) throws IOException {
        byte[] file = next(at);
        return client.createFile(0, txid, txid, LtxBody.of(file));
    }

    /** Encodes the next transaction (and applies it to the model) without uploading it. */
    byte[] next(Instant at) throws IOException {
        return next(at, false);
    }

    /** As {@link #next(Instant)}; {@code grow} forces three new pages (content a later change rarely hides). */
    byte[] next(Instant at, boolean grow) throws IOException {
        long t = txid + 1;
        TreeMap<Long, byte[]> changed = new TreeMap<>();
        long newCommit;
        if (t == 1) {
            newCommit = 3 + random.nextInt(4);
            for (long p = 1; p <= newCommit; p++) {
                changed.put(p, randomPage());
            }
        } else {
            newCommit = commit;
            int r = grow ? 0 : random.nextInt(10);
            if (r < 3) {
                long more = grow ? 3 : 1 + random.nextInt(3);
                for (long p = commit + 1; p <= commit + more; p++) {
                    changed.put(p, randomPage());
                }
                newCommit = commit + more;
            } else if (r == 3 && commit > 2) {
                newCommit = commit - 1;
            }
            int edits = 1 + random.nextInt(3);
            for (int i = 0; i < edits; i++) {
                long p = 1 + random.nextLong(newCommit);
                changed.put(p, randomPage());
            }
        }
        long pre = tracked && t > 1 ? checksum.value() : 0;
        // Database checksum after: pages beyond the new commit leave, changed pages replace the old versions.
        for (long p = newCommit + 1; p <= commit; p++) {
            checksum.toggle(p, pages.get(p), 0);
            pages.remove(p);
        }
        for (Map.Entry<Long, byte[]> e : changed.entrySet()) {
            byte[] old = pages.get(e.getKey());
            if (old != null) {
                checksum.toggle(e.getKey(), old, 0);
            }
            checksum.toggle(e.getKey(), e.getValue(), 0);
            pages.put(e.getKey(), e.getValue());
        }
        commit = newCommit;
        txid = t;
        LtxHeader header = LtxHeader.of(tracked ? 0 : Ltx.HEADER_FLAG_NO_CHECKSUM, PAGE_SIZE, commit, t, t,
                at.toEpochMilli(), pre);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder enc = new LtxEncoder(out, header, header.range().filename());
        for (Map.Entry<Long, byte[]> e : changed.entrySet()) {
            if (e.getKey() <= commit) {
                enc.writePage(e.getKey(), e.getValue(), 0);
            }
        }
        enc.finish(tracked ? checksum.value() : 0);
        databaseAt.put(t, image());
        return out.toByteArray();
    }

    /**
     * Takes a file written elsewhere (e.g. a legacy-encoded vector) as the next transactions: applies its pages and
     * uploads it at level 0 under its own range.
     */
    LtxFileInfo external(ReplicaClient client, byte[] file) throws IOException {
        LtxDecoder d = new LtxDecoder(new ByteArrayInputStream(file), "external");
        LtxHeader h = d.header();
        if (h.minTxid() != txid + 1 || h.pageSize() != PAGE_SIZE) {
            throw new IllegalArgumentException("external file " + h.range() + " does not follow " + txid);
        }
        byte[] page = new byte[PAGE_SIZE];
        for (long p = d.readPage(page, 0); p != 0; p = d.readPage(page, 0)) {
            pages.put(p, page.clone());
        }
        d.close();
        commit = h.commitPages();
        pages.tailMap(commit, false).clear();
        checksum.reset(0);
        for (Map.Entry<Long, byte[]> e : pages.entrySet()) {
            checksum.toggle(e.getKey(), e.getValue(), 0);
        }
        for (long t = h.minTxid(); t <= h.maxTxid(); t++) {
            databaseAt.put(t, null); // states inside the file are not observable
        }
        txid = h.maxTxid();
        databaseAt.put(txid, image());
        return client.createFile(0, h.minTxid(), h.maxTxid(), LtxBody.of(file));
    }

    private byte[] image() {
        byte[] db = new byte[(int) (commit * PAGE_SIZE)];
        for (Map.Entry<Long, byte[]> e : pages.entrySet()) {
            System.arraycopy(e.getValue(), 0, db, (int) ((e.getKey() - 1) * PAGE_SIZE), PAGE_SIZE);
        }
        return db;
    }

    private byte[] randomPage() {
        byte[] page = new byte[PAGE_SIZE];
        // Compressible but distinct: a random byte pattern repeated.
        byte a = (byte) random.nextInt(256);
        byte b = (byte) random.nextInt(256);
        for (int i = 0; i < PAGE_SIZE; i++) {
            page[i] = (i % 7 == 0) ? b : a;
        }
        page[random.nextInt(PAGE_SIZE)] = (byte) random.nextInt(256);
        return page;
    }
}
