package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.BufferGeneration;
import dev.ltx4j.pagestore.CommittedTransaction;
import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.PageLocation;
import dev.ltx4j.pagestore.PageRecords;
import dev.ltx4j.pagestore.WriteBuffer;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.LocalPage;
import dev.ltx4j.pagestore.replica.PageMap;
import java.util.HashMap;
import java.util.Map;

/**
 * The versions {@link PublishedVersions} publishes, built outside its state lock from the version they follow (the
 * page map is copy-on-write, so building publishes nothing and leaves every pinned version unchanged): a commit's
 * (its pages become {@link LocalPage}s in the buffer generation it wrote to; built before the commit's fsync, on
 * the caches the record's staging left warm, swapped in after it: docs/durable-commit-cost.md) and a buffer
 * rewrite's (the local pages moved to the new file generation).
 */
final class NextVersions {
    private NextVersions() {
    }

    /** Where a page's record lies in the generation the commit is published on; -1 or below: none. */
    @FunctionalInterface
    interface Offsets {
        long of(long pgno);
    }

    /**
     * A commit's next version, built on {@code from} for generation {@code gen}.
     *
     * @param changed the pages the commit changes, null when any page may change (a shrink, a new page size)
     */
    record Prepared(DatabaseVersion from, LocalGeneration gen, DatabaseVersion next, long[] changed) {}

    /**
     * The version after a commit on top of {@code c}; builds only.
     *
     * @param pages          every page the transaction wrote, ascending (their checksums are left unknown: the sync
     *                       hashes each page once, from its checked record, when it encodes it)
     * @param staleChecksums bug switch (simulator), off: keep each page's previous checksum
     */
    static Prepared build(DatabaseVersion c, int pageSize, long commit, long floor, long[] pages, long seq,
            LocalGeneration gen, Offsets offsets, boolean staleChecksums) {
        PageMap.Builder b = c.pages().edit();
        b.truncate(floor);
        // A shrink (pages above the floor vanish unless rewritten) or a new page size: any page may change.
        boolean unknown = floor < c.commit() || pageSize != c.pageSize();
        for (long p : pages) {
            if (p > commit) {
                continue;
            }
            long offset = offsets.of(p);
            if (offset < 0) {
                throw new IllegalStateException("write buffer holds no record of page " + p + " of transaction " + seq);
            }
            // Checksum unknown (0): this image is hashed when a sync encodes it. A page's previous checksum
            // belongs to its previous image; keeping it would make the sync encode a wrong checksum.
            b.put(p, new LocalPage(gen, offset), staleChecksums ? b.checksum(p) : 0);
        }
        b.truncate(commit);
        return new Prepared(c, gen, new DatabaseVersion(pageSize, commit, c.txid(), seq, 0, b.build()),
                unknown ? null : pages);
    }

    /**
     * The offsets of transaction {@code seq}'s pages in the buffer's newest generation, after a rewrite copied its
     * records there (the transaction's own offsets then point into a replaced file).
     */
    static Offsets afterRewrite(WriteBuffer buffer, long seq) {
        CommittedTransaction mine = null;
        for (CommittedTransaction t : buffer.transactions()) {
            if (t.seq() == seq) {
                mine = t;
            }
        }
        if (mine == null) {
            throw new IllegalStateException("committed transaction " + seq + " is not held by write buffer "
                    + buffer.location());
        }
        Map<Long, Long> offsets = new HashMap<>();
        for (PageLocation loc : mine.pages()) {
            offsets.put(loc.pgno(), loc.offset());
        }
        return p -> {
            Long at = offsets.get(p);
            return at == null ? -1 : at;
        };
    }

    /** {@code v} at the buffer's sequence number {@code seq} (no held transaction on top). */
    static DatabaseVersion withSeq(DatabaseVersion v, long seq) {
        return new DatabaseVersion(v.pageSize(), v.commit(), v.txid(), seq, v.checksum(), v.pages());
    }

    /** The remote state with the buffer's held transactions on top (as records in generation {@code gen}). */
    static DatabaseVersion overlay(DatabaseVersion remote, int pageSize, BufferGeneration gen) {
        if (gen.isEmpty()) {
            return withSeq(remote, gen.lastSeq());
        }
        PageMap.Builder b = remote.pages().edit();
        PageRecords latest = gen.latest(gen.lastSeq());
        for (int i = 0; i < latest.size(); i++) {
            b.put(latest.pgno(i), new LocalPage(gen.generation(), latest.offset(i)), 0);
        }
        b.truncate(gen.commitSize());
        return new DatabaseVersion(pageSize, gen.commitSize(), remote.txid(), gen.lastSeq(), 0, b.build());
    }

    /** {@code v} with every local page of generation {@code from} pointed at its record in {@code to}. */
    static DatabaseVersion repoint(DatabaseVersion v, BufferGeneration to, LocalGeneration from) {
        PageRecords latest = to.latest(v.localSeq());
        PageMap.Builder b = v.pages().edit();
        for (int i = 0; i < latest.size(); i++) {
            long p = latest.pgno(i);
            if (p <= v.commit() && v.pages().get(p) instanceof LocalPage lp && lp.generation() == from) {
                b.put(p, new LocalPage(to.generation(), latest.offset(i)), v.pages().checksum(p));
            }
        }
        return new DatabaseVersion(v.pageSize(), v.commit(), v.txid(), v.localSeq(), v.checksum(), b.build());
    }
}
