package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.LtxFormatException;
import dev.ltx4j.ltx.LtxFrame;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.LongFunction;

/**
 * Serves page reads from a pinned {@link DatabaseVersion}: local images from their write-buffer file generation
 * ({@link LocalPage}), remote frames from the {@link PageCache} or with one ranged read through the
 * {@link ReplicaClient}. When a replica file the map points at is gone (retention or compaction deleted it), the
 * {@link Relocator} is asked for the page's current location and the read is retried once. On sequential access it reads
 * ahead by coalescing the frames of the following pages that sit back to back in the same file into the same
 * request. Every fetched frame is checked to hold the expected page and decoded to exactly one page.
 *
 * <p>No page is served from a replica file whose integrity has not been established: the first read that needs a
 * file has the {@link FileVerifier} verify it whole (the decoded pages warm the cache), and every page decoded
 * from a later ranged read is checked against the page checksum verification recorded. A corrupt file fails the
 * read with {@link ReplicaFileCorruptException}. Thread-safe.
 */
public final class PageReader {
    private final ReplicaClient client;
    private final PageCache cache;
    private final int readAheadPages;
    private final long readAheadBytes;
    private final FileVerifier verifier;
    private volatile Relocator relocator;
    /** Hydrated copy or on-disk cache, asked after the memory cache (null: none). */
    private volatile LocalPageSource local;

    /** Finds where a page lives now when the replica file a version points at has disappeared. */
    @FunctionalInterface
    public interface Relocator {
        /**
         * @return the page's frame in a file that holds the same image as {@code missing} did for version
         *     {@code v}, or null when no such file can be found
         * @throws TxidUnavailableException when no file holds that version any more (retention removed it)
         */
        RemotePage relocate(DatabaseVersion v, long pgno, RemotePage missing) throws IOException;
    }

    /**
     * @param readAheadPages most pages one request may fetch on sequential access (1 disables read-ahead)
     * @param readAheadBytes most bytes one coalesced request may fetch
     */
    public PageReader(ReplicaClient client, PageCache cache, int readAheadPages, long readAheadBytes) {
        this(client, cache, readAheadPages, readAheadBytes, true);
    }

    /**
     * @param verifyFiles false serves pages without verifying their files (the {@code skip-page-verification}
     *     bug switch: tests only)
     */
    public PageReader(ReplicaClient client, PageCache cache, int readAheadPages, long readAheadBytes,
            boolean verifyFiles) {
        this.client = Objects.requireNonNull(client, "client");
        this.cache = Objects.requireNonNull(cache, "cache");
        if (readAheadPages < 1) {
            throw new IllegalArgumentException("readAheadPages must be at least 1: " + readAheadPages);
        }
        this.readAheadPages = readAheadPages;
        this.readAheadBytes = readAheadBytes;
        this.verifier = new FileVerifier(client, cache, verifyFiles);
    }

    public PageCache cache() {
        return cache;
    }

    /** What verified the replica files this reader serves pages from. */
    public FileVerifier verifier() {
        return verifier;
    }

    /** Installs the handler for reads that hit a deleted replica file (null: such reads fail). */
    public void setRelocator(Relocator relocator) {
        this.relocator = relocator;
    }

    /** Installs the local page store asked after the memory cache and before the replica (null: none). */
    public void setLocalSource(LocalPageSource local) {
        this.local = local;
    }

    /** Where one reader last read, to detect sequential access. Not thread-safe; one per reader. */
    public static final class Cursor {
        /** Where pages that are not cached arrays (local and zero pages) are read to, inside one read call only. */
        private static final ThreadLocal<byte[]> SCRATCH = new ThreadLocal<>();
        long lastPgno = -1;

        /** The calling thread's page buffer (a cursor lives for one read transaction: per-cursor would allocate each). */
        byte[] scratch(int pageSize) {
            byte[] s = SCRATCH.get();
            if (s == null || s.length != pageSize) {
                s = new byte[pageSize];
                SCRATCH.set(s);
            }
            return s;
        }
    }

    /**
     * Copies bytes {@code [offset, offset + len)} of the database into {@code dst}. Bytes past the end of the
     * database read as zeros.
     *
     * @param overlay pages that win over the version (a write transaction's own images), or null
     * @return how many of the bytes lie inside the database (less than {@code len} means a short read)
     */
    public int read(DatabaseVersion v, LongFunction<byte[]> overlay, long offset, byte[] dst, int dstOff, int len,
            Cursor cursor) throws IOException {
        Objects.checkFromIndexSize(dstOff, len, dst.length);
        if (offset < 0) {
            throw new IllegalArgumentException("negative read offset " + offset);
        }
        int pageSize = v.pageSize();
        long size = v.sizeBytes();
        int inside = (int) Math.max(0, Math.min(len, size - offset));
        Arrays.fill(dst, dstOff + inside, dstOff + len, (byte) 0);
        int done = 0;
        byte[] page = null;
        while (done < inside) {
            long pos = offset + done;
            long pgno = pos / pageSize + 1;
            int inPage = (int) (pos % pageSize);
            int n = Math.min(inside - done, pageSize - inPage);
            byte[] image = overlay == null ? null : overlay.apply(pgno);
            if (image == null) {
                if (page == null) {
                    page = cursor != null ? cursor.scratch(pageSize) : new byte[pageSize];
                }
                image = pageImage(v, pgno, page, cursor); // a cached page is copied once, straight to dst
            }
            System.arraycopy(image, inPage, dst, dstOff + done, n);
            done += n;
        }
        return inside;
    }

    /** Copies page {@code pgno} of {@code v} into {@code dst}; a page with no entry within the size reads as zeros. */
    public void readPage(DatabaseVersion v, long pgno, byte[] dst, Cursor cursor) throws IOException {
        byte[] image = pageImage(v, pgno, dst, cursor);
        if (image != dst) {
            System.arraycopy(image, 0, dst, 0, v.pageSize());
        }
    }

    /**
     * Page {@code pgno} of {@code v} without a copy where possible: a remote page comes back as the cache's own
     * array (shared and immutable: the caller must never write into it); a local page, or a page with no entry
     * (zeros), is read into {@code scratch} (at least a page long), which is returned.
     */
    public byte[] pageImage(DatabaseVersion v, long pgno, byte[] scratch, Cursor cursor) throws IOException {
        PageRef e = pgno <= v.commit() ? v.pages().get(pgno) : null;
        boolean sequential = cursor != null && cursor.lastPgno + 1 == pgno;
        if (cursor != null) {
            cursor.lastPgno = pgno;
        }
        if (e instanceof RemotePage rp) {
            byte[] cached = cache.get(rp);
            LocalPageSource ls = local;
            if (ls == null) {
                return cached != null ? cached : fetchOrRelocate(v, pgno, rp, sequential);
            }
            if (cached == null) {
                if (ls.read(v, pgno, rp, scratch)) {
                    return scratch;
                }
                cached = fetchOrRelocate(v, pgno, rp, sequential);
            }
            ls.offer(pgno, rp, cached);
            return cached;
        }
        if (e instanceof LocalPage local) {
            local.generation().read(local.offset(), pgno, scratch);
        } else {
            Arrays.fill(scratch, 0, v.pageSize(), (byte) 0);
        }
        return scratch;
    }

    private byte[] fetchOrRelocate(DatabaseVersion v, long pgno, RemotePage rp, boolean sequential)
            throws IOException {
        try {
            return fetch(v, pgno, rp, sequential);
        } catch (PageReadException e) {
            Relocator r = relocator;
            if (r == null || !(e.getCause() instanceof ReplicaNotFoundException)) {
                throw e;
            }
            // The file a relocation answers may be gone too by the time it is read (a stale listing, a remembered
            // plan, another retention run): relocate again from it, a few times.
            RemotePage missing = rp;
            PageReadException last = e;
            for (int attempt = 0; attempt < MAX_RELOCATIONS; attempt++) {
                RemotePage moved = r.relocate(v, pgno, missing);
                if (moved == null || moved.equals(missing)) {
                    throw last;
                }
                byte[] cached = cache.get(moved);
                if (cached != null) {
                    return cached;
                }
                try {
                    return fetch(v, pgno, moved, false);
                } catch (PageReadException again) {
                    if (!(again.getCause() instanceof ReplicaNotFoundException)) {
                        throw again;
                    }
                    missing = moved;
                    last = again;
                }
            }
            throw last;
        }
    }

    /** Most relocations of one page read (each after the file the previous one answered vanished as well). */
    static final int MAX_RELOCATIONS = 3;

    private byte[] fetch(DatabaseVersion v, long pgno, RemotePage first, boolean sequential) throws IOException {
        RemoteFile file = first.file();
        FileVerifier.Verified verified;
        try {
            verified = verifier.ensure(file, pgno);
        } catch (ReplicaFileCorruptException e) {
            throw e;
        } catch (IOException e) {
            throw new PageReadException(pgno, file, e);
        }
        if (verified != null) {
            byte[] warmed = cache.get(first);
            if (warmed != null) {
                return warmed; // decoded by the verification just now
            }
        }
        int pages = 1;
        long end = first.offset() + first.size();
        if (sequential) {
            while (pages < readAheadPages && pgno + pages <= v.commit()) {
                PageRef next = v.pages().get(pgno + pages);
                if (!(next instanceof RemotePage rp) || !rp.file().equals(file) || rp.offset() != end
                        || end + rp.size() - first.offset() > readAheadBytes || cache.get(rp) != null) {
                    break;
                }
                end += rp.size();
                pages++;
            }
        }
        byte[] bytes;
        try {
            bytes = client.readRange(file.level(), file.minTxid(), file.maxTxid(), first.offset(),
                    end - first.offset());
        } catch (ReplicaException e) {
            throw new PageReadException(pgno, file, e);
        }
        if (bytes.length != end - first.offset()) {
            throw new PageReadException(pgno, file, new IOException("short read: " + bytes.length + " of "
                    + (end - first.offset()) + " bytes at offset " + first.offset()));
        }
        byte[] result = null;
        int at = 0;
        for (int i = 0; i < pages; i++) {
            RemotePage rp = i == 0 ? first : (RemotePage) v.pages().get(pgno + i);
            byte[] page = new byte[file.pageSize()];
            try {
                LtxFrame.decode(bytes, at, rp.size(), pgno + i, file.pageSize(), page, 0, file.name());
            } catch (LtxFormatException e) {
                if (verified == null) {
                    throw e;
                }
                throw verifier.corrupt(file, "page " + (pgno + i) + " read back from a verified file does not"
                        + " decode (the stored bytes changed after verification): " + e.getMessage(), e);
            }
            verifier.check(file, verified, pgno + i, page);
            at += rp.size();
            cache.put(rp, page);
            if (i == 0) {
                result = page;
            }
        }
        return result;
    }
}
