package dev.ltx4j.syncer;

import dev.ltx4j.ltx.Txid;
import dev.ltx4j.pagestore.replica.DatabaseVersion;
import dev.ltx4j.pagestore.replica.PageReader;
import java.io.IOException;

/**
 * A pinned read view: sees exactly the database version current when it began, however the database moves on
 * (syncs, polls, commits), until closed. Size and pages never change under it. Use from one thread at a time;
 * always close it: the pin keeps the write-buffer file generation it reads from open.
 */
public final class ReadTransaction implements AutoCloseable {
    private final Database db;
    private final Pin pin;
    private final DatabaseVersion version;
    private final PageReader.Cursor cursor = new PageReader.Cursor();
    private boolean closed;
    /** Where {@link #readPage} reads pages that are not cached arrays (local pages). */
    private byte[] scratch;

    ReadTransaction(Database db, Pin pin) {
        this.db = db;
        this.pin = pin;
        this.version = pin.version;
    }

    /** The pinned version. */
    public DatabaseVersion version() {
        return version;
    }

    /** Which history of the replica the pinned version belongs to (changes when a follower reloads). */
    public long lineage() {
        return pin.lineage;
    }

    /** The replica TXID the pinned version reflects. */
    public long txid() {
        return version.txid();
    }

    public int pageSize() {
        return version.pageSize();
    }

    /** Database size in bytes (commit times page size) of the pinned version: what xFileSize reports. */
    public long sizeBytes() {
        return version.sizeBytes();
    }

    /**
     * Copies {@code len} bytes at {@code offset} into {@code dst}; bytes past the end read as zeros.
     *
     * @return bytes that lay inside the database; less than {@code len} is a short read
     */
    public int read(long offset, byte[] dst, int dstOff, int len) throws IOException {
        if (closed) {
            throw new IllegalStateException("read transaction is closed");
        }
        int n;
        try {
            n = pin.reader.read(version, null, offset, dst, dstOff, len, cursor);
        } catch (IOException e) {
            if (pin.lineage != db.lineage()) {
                throw replaced();
            }
            throw e;
        }
        if (pin.lineage != db.lineage()) {
            // The replica was replaced under this transaction: what was just read may come from the new files.
            throw replaced();
        }
        return n;
    }

    /**
     * One whole page without copying it where possible: the bytes of the page at {@code offset} (page aligned,
     * {@code len} = page size, inside the database) as an array holding exactly them from index 0. The array may be
     * the page cache's own: never write into it, and use it only until the next call on this transaction.
     *
     * @return the page, or null when {@code offset}/{@code len} is not one whole page inside the database (use
     *     {@link #read})
     */
    public byte[] readPage(long offset, int len) throws IOException {
        if (closed) {
            throw new IllegalStateException("read transaction is closed");
        }
        int pageSize = version.pageSize();
        if (pageSize == 0 || len != pageSize || offset % pageSize != 0 || offset < 0
                || offset + len > version.sizeBytes()) {
            return null;
        }
        if (scratch == null) {
            scratch = new byte[pageSize];
        }
        byte[] image;
        try {
            image = pin.reader.pageImage(version, offset / pageSize + 1, scratch, cursor);
        } catch (IOException e) {
            if (pin.lineage != db.lineage()) {
                throw replaced();
            }
            throw e;
        }
        if (pin.lineage != db.lineage()) {
            throw replaced(); // as in read(): the page may come from the new files
        }
        return image;
    }

    private ReplicaDivergedException replaced() {
        return new ReplicaDivergedException("the replica of database \"" + db.name + "\" no longer contains TXID "
                + Txid.format(version.txid()) + " read by this transaction; begin a new one");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            pin.release();
        }
    }
}
