package dev.ltx4j.pagestore.replica;

import java.util.Arrays;

/**
 * An immutable map from page number to where the page's bytes are: a {@link RemotePage} (a frame in a replica
 * file) or a {@link LocalPage} (a committed, not yet synced image in a write-buffer file). No page bytes are held:
 * each page costs one small location object plus an 8-byte LTX page checksum ({@link #checksum(long)}, 0 when not
 * known), which lets the syncer keep the rolling database checksum by XOR without reading old images.
 *
 * <p>Stored as a persistent chunked array: {@link #edit()} returns a builder that copies a chunk's leaf (32 entries)
 * and the chunk's leaf index (32 references) only the first time they change, so publishing a version after a commit
 * of k pages costs O(k + pages / chunk) and every earlier version stays valid and unchanged for the readers that
 * pinned it. (A commit used to copy the whole 1,024-entry chunk of each page it wrote: 4 KiB of fresh heap per
 * commit, the largest allocation of a durable commit; docs/durable-commit-cost.md, session 9.) A chunk's checksums
 * are copied only when one of them changes, and a chunk whose checksums are all 0 has none: a commit records its
 * pages with checksum 0 (the sync computes them), so rewriting unsynced pages copies no checksum array (one commit's
 * allocation was 12 KiB, 8 of them the checksum copy; docs/durable-commit-cost.md).
 */
public final class PageMap {
    static final int SHIFT = 10;
    static final int CHUNK = 1 << SHIFT;
    /** Entries per leaf of a chunk: what a change copies. */
    static final int LEAF_SHIFT = 5;
    static final int LEAF = 1 << LEAF_SHIFT;
    static final int LEAVES = CHUNK / LEAF;
    private static final PageRef[][][] NO_CHUNKS = new PageRef[0][][];
    private static final long[][] NO_SUMS = new long[0][];

    /** The empty map. */
    public static final PageMap EMPTY = new PageMap(NO_CHUNKS, NO_SUMS, 0, 0);

    /** chunks[c][l][j]: entry of page c * CHUNK + l * LEAF + j + 1; a null chunk or leaf holds no entry. */
    private final PageRef[][][] chunks;
    private final long[][] sums;
    private final int count;
    /** No entry lies above this page number (an upper bound, not always the highest entry). */
    private final long bound;

    private PageMap(PageRef[][][] chunks, long[][] sums, int count, long bound) {
        this.chunks = chunks;
        this.sums = sums;
        this.count = count;
        this.bound = bound;
    }

    /** The entry for {@code pgno}: a {@link RemotePage}, a {@link LocalPage}, or null. */
    public PageRef get(long pgno) {
        return pgno < 1 ? null : entry(chunks, pgno - 1);
    }

    private static PageRef entry(PageRef[][][] chunks, long i) {
        long c = i >>> SHIFT;
        if (c >= chunks.length) {
            return null;
        }
        PageRef[][] chunk = chunks[(int) c];
        if (chunk == null) {
            return null;
        }
        PageRef[] leaf = chunk[(int) (i >>> LEAF_SHIFT) & (LEAVES - 1)];
        return leaf == null ? null : leaf[(int) i & (LEAF - 1)];
    }

    /** The LTX page checksum recorded for {@code pgno} ({@code Crc64.pageChecksum}), or 0 when not known. */
    public long checksum(long pgno) {
        if (pgno < 1) {
            return 0;
        }
        long i = pgno - 1;
        int c = (int) (i >>> SHIFT);
        if (c >= sums.length || sums[c] == null) {
            return 0;
        }
        return sums[c][(int) (i & (CHUNK - 1))];
    }

    /** Number of pages with an entry. */
    public int size() {
        return count;
    }

    /** Highest page number the storage could hold (not necessarily present). */
    long capacity() {
        return (long) chunks.length << SHIFT;
    }

    public Builder edit() {
        return new Builder(this);
    }

    /** Changes to a copy of a map; not thread-safe, single use. */
    public static final class Builder {
        private PageRef[][][] chunks;
        private long[][] sums;
        /** Which chunks' leaf indexes this builder copied (or made) and may change in place. */
        private boolean[] owned;
        /** For an owned chunk: which of its leaves this builder copied (or made) and may change in place. */
        private boolean[][] ownedLeaves;
        /** Which checksum arrays this builder copied (or made) and may change in place. */
        private boolean[] ownedSums;
        private int count;
        private long bound;

        private Builder(PageMap from) {
            this.chunks = from.chunks.clone();
            this.sums = from.sums.clone();
            this.owned = new boolean[chunks.length];
            this.ownedLeaves = new boolean[chunks.length][];
            this.ownedSums = new boolean[chunks.length];
            this.count = from.count;
            this.bound = from.bound;
        }

        /** The recorded checksum of {@code pgno} as edited so far, or 0. */
        public long checksum(long pgno) {
            long i = pgno - 1;
            int c = (int) (i >>> SHIFT);
            if (pgno < 1 || c >= sums.length || sums[c] == null) {
                return 0;
            }
            return sums[c][(int) (i & (CHUNK - 1))];
        }

        public PageRef get(long pgno) {
            return pgno < 1 ? null : entry(chunks, pgno - 1);
        }

        /** Sets (or with null, removes) the entry of {@code pgno}, its checksum not known. */
        public Builder put(long pgno, PageRef entry) {
            return put(pgno, entry, 0);
        }

        /**
         * Sets (or with null, removes) the entry of {@code pgno} with the page's LTX page checksum (0: not known).
         */
        public Builder put(long pgno, PageRef entry, long checksum) {
            if (pgno < 1 || pgno > 0xFFFFFFFFL) {
                throw new IllegalArgumentException("page number " + pgno + " is outside 1..2^32-1");
            }
            long i = pgno - 1;
            int c = (int) (i >>> SHIFT);
            if (c >= chunks.length) {
                if (entry == null) {
                    return this;
                }
                int n = Math.max(c + 1, chunks.length * 2);
                chunks = Arrays.copyOf(chunks, n);
                sums = Arrays.copyOf(sums, n);
                owned = Arrays.copyOf(owned, n);
                ownedLeaves = Arrays.copyOf(ownedLeaves, n);
                ownedSums = Arrays.copyOf(ownedSums, n);
            }
            PageRef[][] chunk = chunks[c];
            if (chunk == null) {
                if (entry == null) {
                    return this;
                }
                chunk = new PageRef[LEAVES][];
                chunks[c] = chunk;
                sums[c] = null; // all 0 until a checksum is set
                own(c, chunk);
            } else if (!owned[c]) {
                chunk = chunk.clone();
                own(c, chunk);
            }
            int l = (int) (i >>> LEAF_SHIFT) & (LEAVES - 1);
            PageRef[] leaf = chunk[l];
            if (leaf == null) {
                if (entry == null) {
                    return this; // no entry, so its checksum is 0 already
                }
                leaf = new PageRef[LEAF];
                chunk[l] = leaf;
                ownedLeaves[c][l] = true;
            } else if (!ownedLeaves[c][l]) {
                leaf = leaf.clone();
                chunk[l] = leaf;
                ownedLeaves[c][l] = true;
            }
            int j = (int) i & (LEAF - 1);
            PageRef old = leaf[j];
            leaf[j] = entry;
            setChecksum(c, (int) (i & (CHUNK - 1)), entry == null ? 0 : checksum);
            if (entry != null) {
                bound = Math.max(bound, pgno);
            }
            if (old == null && entry != null) {
                count++;
            } else if (old != null && entry == null) {
                count--;
            }
            return this;
        }

        /** Makes {@code chunk} (a fresh leaf index) chunk {@code c}'s, none of its leaves owned yet. */
        private void own(int c, PageRef[][] chunk) {
            chunks[c] = chunk;
            owned[c] = true;
            ownedLeaves[c] = new boolean[LEAVES];
        }

        /** Sets one checksum, copying (or making) the chunk's checksum array only when the value changes. */
        private void setChecksum(int c, int j, long checksum) {
            long[] s = sums[c];
            if (s == null ? checksum == 0 : s[j] == checksum) {
                return;
            }
            if (s == null) {
                s = new long[CHUNK];
                sums[c] = s;
                ownedSums[c] = true;
            } else if (!ownedSums[c]) {
                s = s.clone();
                sums[c] = s;
                ownedSums[c] = true;
            }
            s[j] = checksum;
        }

        /** Removes every entry above {@code commit} (a shrink): pages past the end are not part of the database. */
        public Builder truncate(long commit) {
            long cap = (long) chunks.length << SHIFT;
            if (commit >= cap || commit >= bound) {
                return this; // nothing above commit: a commit that did not shrink scans no chunk
            }
            bound = commit;
            int firstWhole = (int) ((commit + CHUNK - 1) >>> SHIFT);
            if (commit % CHUNK != 0) {
                clearTail(firstWhole - 1, (int) (commit % CHUNK));
            }
            for (int c = firstWhole; c < chunks.length; c++) {
                if (chunks[c] != null) {
                    count -= present(chunks[c], 0);
                    chunks[c] = null;
                    sums[c] = null;
                }
            }
            chunks = Arrays.copyOf(chunks, firstWhole);
            sums = Arrays.copyOf(sums, firstWhole);
            owned = Arrays.copyOf(owned, firstWhole);
            ownedLeaves = Arrays.copyOf(ownedLeaves, firstWhole);
            ownedSums = Arrays.copyOf(ownedSums, firstWhole);
            return this;
        }

        /** Entries of {@code chunk} at positions {@code from..CHUNK-1}. */
        private static int present(PageRef[][] chunk, int from) {
            int n = 0;
            for (int l = from >>> LEAF_SHIFT; l < LEAVES; l++) {
                PageRef[] leaf = chunk[l];
                if (leaf == null) {
                    continue;
                }
                for (int j = l == from >>> LEAF_SHIFT ? from & (LEAF - 1) : 0; j < LEAF; j++) {
                    if (leaf[j] != null) {
                        n++;
                    }
                }
            }
            return n;
        }

        /**
         * Clears entries {@code from..CHUNK-1} of chunk {@code c} (the partial chunk of a shrink), copying shared
         * parts once and only when the chunk holds an entry there: a shrink by a few pages is a loop over one
         * chunk, not a {@link #put} per page slot.
         */
        private void clearTail(int c, int from) {
            PageRef[][] chunk = chunks[c];
            if (chunk == null) {
                return;
            }
            int present = present(chunk, from);
            if (present == 0) {
                return;
            }
            if (!owned[c]) {
                chunk = chunk.clone();
                own(c, chunk);
            }
            int first = from >>> LEAF_SHIFT;
            if ((from & (LEAF - 1)) != 0) {
                PageRef[] leaf = chunk[first];
                if (leaf != null) {
                    if (!ownedLeaves[c][first]) {
                        leaf = leaf.clone();
                        chunk[first] = leaf;
                        ownedLeaves[c][first] = true;
                    }
                    Arrays.fill(leaf, from & (LEAF - 1), LEAF, null);
                }
                first++;
            }
            Arrays.fill(chunk, first, LEAVES, null); // whole leaves above: dropped, not copied
            if (sums[c] != null) {
                if (!ownedSums[c]) {
                    sums[c] = sums[c].clone();
                    ownedSums[c] = true;
                }
                Arrays.fill(sums[c], from, CHUNK, 0L);
            }
            count -= present;
        }

        /** Removes every entry. */
        public Builder clear() {
            chunks = NO_CHUNKS;
            sums = NO_SUMS;
            owned = new boolean[0];
            ownedLeaves = new boolean[0][];
            ownedSums = new boolean[0];
            count = 0;
            bound = 0;
            return this;
        }

        public PageMap build() {
            PageMap m = new PageMap(chunks.clone(), sums.clone(), count, bound);
            // Later edits through this builder must not change the published map (an unowned chunk's leaves are
            // copied again before a change).
            Arrays.fill(owned, false);
            Arrays.fill(ownedSums, false);
            return m;
        }
    }
}
