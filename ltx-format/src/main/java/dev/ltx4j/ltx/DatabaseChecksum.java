package dev.ltx4j.ltx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The rolling LTX database checksum used for pre- and post-apply values: {@code ChecksumFlag | XOR} of the
 * page checksums of every page except the lock page. Because it is an XOR, pages can be added and removed in
 * any order, so a writer can keep it current by XOR-ing the old content of a page out and the new one in.
 *
 * <p>Convention for an empty database (Commit = 0): {@link #value()} is {@code ChecksumFlag}
 * ({@code 0x8000000000000000}), the value the format requires in the trailer of a Commit=0 file. (Go's
 * {@code ChecksumReader} returns 0 for an empty stream; we do not copy that inconsistency.)
 *
 * <p>Not thread-safe.
 */
public final class DatabaseChecksum {
    private final int pageSize;
    private final long lockPgno;
    private long acc;

    public DatabaseChecksum(int pageSize) {
        if (!Ltx.isValidPageSize(pageSize)) {
            throw new IllegalArgumentException("invalid page size: " + pageSize);
        }
        this.pageSize = pageSize;
        this.lockPgno = Ltx.lockPgno(pageSize);
    }

    /** Restarts from a known database checksum (for example a file's pre-apply checksum). */
    public DatabaseChecksum reset(long checksum) {
        acc = checksum & ~Ltx.CHECKSUM_FLAG;
        return this;
    }

    /** XORs the page in (or, when it is already counted, out). The lock page is ignored. */
    public void toggle(long pgno, byte[] page, int off) {
        if (pgno != lockPgno) {
            acc ^= Crc64.pageChecksum(pgno, page, off, pageSize);
        }
    }

    /** XORs a page checksum computed elsewhere (see {@link Crc64#pageChecksum}). */
    public void toggleChecksum(long pageChecksum) {
        acc ^= pageChecksum;
    }

    public long value() {
        return Ltx.CHECKSUM_FLAG | acc;
    }

    public int pageSize() {
        return pageSize;
    }

    /** Checksum of the first {@code pages} pages of a database file (lock page excluded). */
    public static long of(FileChannel db, int pageSize, long pages) throws IOException {
        DatabaseChecksum sum = new DatabaseChecksum(pageSize);
        byte[] page = new byte[pageSize];
        ByteBuffer bb = ByteBuffer.wrap(page);
        for (long pgno = 1; pgno <= pages; pgno++) {
            if (pgno == sum.lockPgno) {
                continue;
            }
            readPage(db, bb, (pgno - 1) * pageSize);
            sum.toggle(pgno, page, 0);
        }
        return sum.value();
    }

    static void readPage(FileChannel ch, ByteBuffer bb, long pos) throws IOException {
        bb.clear();
        while (bb.hasRemaining()) {
            int n = ch.read(bb, pos + bb.position());
            if (n < 0) {
                // Past the end of the file the database reads as zeros, as SQLite sees a sparse file.
                while (bb.hasRemaining()) {
                    bb.put((byte) 0);
                }
            }
        }
    }
}
