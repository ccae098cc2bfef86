package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.SqliteHeader;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.LocalGeneration;
import dev.ltx4j.pagestore.replica.PageReader;
import dev.ltx4j.pagestore.WriteTransaction;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The single write transaction of a {@link Database} (SQLite's RESERVED..EXCLUSIVE span). Reads see this
 * session's own writes first, then the committed state (including committed but unsynced transactions of this
 * process). Writes go to the crash-safe buffer as they happen; {@link #commit()} makes them visible to new
 * readers atomically. Closing without commit rolls back. Use from one thread at a time.
 *
 * <p>Page bytes are not kept on the heap: the session remembers only which pages it wrote and reads its own writes
 * back from the buffer. No page checksum is computed here, on the committing thread: the sync hashes each page once,
 * from its checked buffer record, when it encodes it (see {@link UploadEncoder}; docs/durable-commit-cost.md).
 */
public final class WriteSession implements AutoCloseable {

    private final Database db;
    private final Pin pin;
    private final DatabaseVersion base;
    /** Pages written by this session. */
    private final WrittenPages pending = new WrittenPages();
    private byte[] scratch;
    private LocalGeneration txGeneration;
    private final PageReader.Cursor cursor = new PageReader.Cursor();
    private int pageSize;
    private long commit;
    private long floor;
    private WriteTransaction tx;
    private boolean finished;

    WriteSession(Database db, Pin pin) {
        this.db = db;
        this.pin = pin;
        this.base = pin.version;
        this.pageSize = base.pageSize();
        this.commit = base.commit();
        this.floor = base.commit();
    }

    public int pageSize() {
        return pageSize;
    }

    /** Database size in bytes as this session sees it. */
    public long sizeBytes() {
        return commit * pageSize;
    }

    /** Reads like {@link ReadTransaction#read}, seeing this session's writes. */
    public int read(long offset, byte[] dst, int dstOff, int len) throws IOException {
        checkOpen();
        if (pageSize == 0) {
            Arrays.fill(dst, dstOff, dstOff + len, (byte) 0);
            return 0;
        }
        DatabaseVersion view = new DatabaseVersion(pageSize, commit, base.txid(), base.localSeq(), 0, base.pages());
        byte[] zero = new byte[pageSize];
        if (scratch == null || scratch.length != pageSize) {
            scratch = new byte[pageSize];
        }
        try {
            return readThrough(view, zero, offset, dst, dstOff, len);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private int readThrough(DatabaseVersion view, byte[] zero, long offset, byte[] dst, int dstOff, int len)
            throws IOException {
        return db.reader().read(view, p -> {
            if (pending.contains(p)) {
                try {
                    if (tx.readPage(p, scratch)) {
                        return scratch;
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                throw new IllegalStateException("write buffer lost this session's image of page " + p);
            }
            return p > floor ? zero : null;
        }, offset, dst, dstOff, len, cursor);
    }

    /**
     * Writes {@code len} bytes at {@code offset}: whole pages, or a part of one page. A new database takes its page
     * size from the first write (page 1's header field, or the size of an aligned whole-page write).
     *
     * @throws PageSizeException when the write does not fit the page size (W10: never a silent short write)
     * @throws ConflictException when the database is conflicted
     */
    public void write(long offset, byte[] src, int srcOff, int len) throws IOException {
        checkOpen();
        db.writer.checkWritable();
        if (len <= 0 || offset < 0) {
            throw new IllegalArgumentException("bad write: " + len + " bytes at offset " + offset);
        }
        if (pageSize == 0) {
            pageSize = inferPageSize(offset, src, srcOff, len);
            db.writes.establishPageSize(pageSize);
        }
        if (offset % pageSize == 0 && len % pageSize == 0) {
            for (int done = 0; done < len; done += pageSize) {
                // Straight from the caller's array: the buffer copies the bytes into its log record and keeps none.
                putPage((offset + done) / pageSize + 1, src, srcOff + done);
            }
        } else if (offset / pageSize == (offset + len - 1) / pageSize) {
            long pgno = offset / pageSize + 1;
            byte[] page = new byte[pageSize];
            if (pgno <= commit) {
                read((pgno - 1) * pageSize, page, 0, pageSize);
            }
            System.arraycopy(src, srcOff, page, (int) (offset % pageSize), len);
            putPage(pgno, page, 0);
        } else {
            throw new PageSizeException("write of " + len + " bytes at offset " + offset
                    + " does not fit the database page size " + pageSize
                    + " (it crosses a page boundary without covering whole pages)");
        }
    }

    private static int inferPageSize(long offset, byte[] src, int off, int len) throws PageSizeException {
        if (offset == 0 && len >= SqliteHeader.SIZE && SqliteHeader.hasMagic(src, off)) {
            int size = SqliteHeader.declaredPageSize(src, off);
            if (!Ltx.isValidPageSize(size)) {
                throw new PageSizeException("page 1 declares an invalid page size " + size);
            }
            return size;
        }
        if (Ltx.isValidPageSize(len) && offset % len == 0) {
            return len;
        }
        throw new PageSizeException("cannot infer the page size of a new database from a write of " + len
                + " bytes at offset " + offset);
    }

    /** Appends the page {@code page[off, off + pageSize)} as the image of {@code pgno}. */
    private void putPage(long pgno, byte[] page, int off) throws IOException {
        if (pgno == Ltx.lockPgno(pageSize)) {
            throw new PageSizeException("page " + pgno + " is SQLite's lock page and cannot be written");
        }
        if (pgno == 1 && SqliteHeader.hasMagic(page, off)) {
            int declared = SqliteHeader.declaredPageSize(page, off);
            if (declared != pageSize) {
                throw new PageSizeException("page 1 declares page size " + declared + " but the database uses "
                        + pageSize + "; changing the page size is not supported");
            }
        }
        ensureTx().writePage(pgno, ByteBuffer.wrap(page, off, pageSize));
        pending.add(pgno);
        commit = Math.max(commit, pgno);
    }

    private WriteTransaction ensureTx() throws IOException {
        if (tx == null) {
            tx = db.buffer().begin();
            // Read after begin: see PublishedVersions.publishCommit for why this identifies the file the records go to.
            txGeneration = db.versions.writerGeneration();
        }
        return tx;
    }

    /** Sets the database size; must be a whole number of pages. Pages above it are dropped. */
    public void truncate(long sizeBytes) throws IOException {
        checkOpen();
        db.writer.checkWritable();
        if (pageSize == 0) {
            if (sizeBytes == 0) {
                return;
            }
            throw new PageSizeException("cannot truncate a database with no page size yet to " + sizeBytes + " bytes");
        }
        if (sizeBytes < 0 || sizeBytes % pageSize != 0) {
            throw new PageSizeException("truncate to " + sizeBytes + " bytes is not a multiple of the page size "
                    + pageSize);
        }
        long pages = sizeBytes / pageSize;
        pending.removeAbove(pages);
        commit = pages;
        floor = Math.min(floor, pages);
        ensureTx();
    }

    /**
     * Refuses now, with the transaction still open, a commit the buffer would refuse for lack of space
     * ({@link WriteTransaction#checkCommit()}); the VFS calls it at SQLite's first commit phase.
     */
    public void checkCommit() throws IOException {
        checkOpen();
        db.writer.checkWritable();
        if (tx != null) {
            fillGap(); // before the check: the commit then appends nothing the check did not count
            tx.checkCommit();
        }
    }

    /** Writes zero pages over the gap between the old end of the database and the commit size (once; idempotent). */
    private void fillGap() throws IOException {
        byte[] zero = null;
        long lock = Ltx.lockPgno(pageSize);
        for (long p = floor + 1; p <= commit; p++) {
            if (!pending.contains(p) && p != lock) {
                zero = zero == null ? new byte[pageSize] : zero;
                tx.writePage(p, zero);
                pending.add(p);
            }
        }
    }

    /**
     * Commits: durable locally per the durability mode; with {@code remote} durability returns only once a sync
     * holding this transaction is acknowledged by the replica (its failure, a conflict included, is thrown here).
     *
     * @return the buffer sequence number of the transaction, or the current one if nothing was written
     */
    public long commit() throws IOException {
        checkOpen();
        try {
            db.writer.checkWritable();
            if (tx == null) {
                return db.current().localSeq();
            }
            fillGap();
            WriteTransaction committed = tx;
            long[] pages = pending.sorted();
            long seq;
            NextVersions.Prepared prepared;
            // The conflict check and the durable commit record happen under the commit gate, which a conflict
            // holds while it snapshots what it saves: this commit is in that snapshot or fails here (see
            // docs/engine-invariants.md I6).
            db.commitGate.lock();
            try {
                db.writer.checkWritable();
                seq = tx.commitWritten(commit);
                // The next version is built between the write and the fsync, published only after the fsync
                // (docs/durable-commit-cost.md, session 8): no reader sees a commit a crash could take back.
                prepared = db.versions.prepareCommit(pageSize, commit, floor, committed, pages, seq, txGeneration);
                committed.awaitDurable();
            } finally {
                db.commitGate.unlock();
            }
            tx = null;
            try {
                db.writes.publishCommit(pageSize, commit, floor, committed, pages, seq, txGeneration, prepared);
            } catch (IOException | RuntimeException e) {
                // The commit record is durable: a plain failure would make the application run it again.
                throw new SyncFailedException("commit of transaction " + seq + " of database \"" + db.name()
                        + "\" is durable in the write buffer, but publishing it failed (" + e.getMessage() + "): this"
                        + " process does not show it until the database is opened again; do not run the transaction"
                        + " again", e);
            }
            // Registered while this session holds the writer slot: a refresh dropping it cannot run unseen.
            RemoteWait.Waiter waiter = db.writes.registerRemoteWait(seq);
            finish();
            db.writes.awaitRemote(waiter);
            return seq;
        } finally {
            if (!finished) {
                rollback();
            }
        }
    }

    /** Discards this session's writes. */
    public void rollback() throws IOException {
        if (finished) {
            return;
        }
        try {
            if (tx != null) {
                tx.rollback();
            }
        } finally {
            finish();
        }
    }

    private void finish() {
        if (!finished) {
            finished = true;
            pin.release();
            db.writer.release();
        }
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("write session already committed or rolled back");
        }
    }

    @Override
    public void close() throws IOException {
        rollback();
    }
}
