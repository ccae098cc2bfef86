package dev.ltx4j.ltx;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * Strict streaming reader of one LTX v3 file. Call {@link #header()}, then {@link #readPage} until it returns
 * 0; by then the page index, trailer and file checksum have been verified and {@link #summary()} is available.
 *
 * <p>Reads both page encodings: block frames (flag 0x0001, Litestream v0.5.16+) and legacy whole-LZ4-frame
 * pages (flags 0, Litestream v0.5.0..v0.5.15). Beyond what the Go decoder checks it also rejects: page
 * numbers out of order, duplicated, above Commit or equal to the lock page; payloads that decompress to other
 * than PageSize bytes or exceed the LZ4 bound; incomplete snapshots; a page index that differs from the frames
 * actually read, or whose size field is wrong; non-zero post-apply checksums on NoChecksum files; and any
 * byte after the trailer. Every malformed input raises {@link LtxFormatException} naming the file and field.
 *
 * <p>Pages must be consumed in order: a page returned by {@code readPage} is not yet covered by the file
 * checksum, which is only verified at the end. Callers that must not act on unverified data should use
 * {@link #verify} first or write to a temporary location.
 *
 * <p>The decoder reads ahead through its own buffer; {@link #close()} closes the stream. Not thread-safe.
 */
public final class LtxDecoder implements Closeable {
    private final InputStream in;
    private final ByteSource src;
    private final String fileName;
    private LtxHeader header;
    private int pageSize;
    private long commit;
    private long lockPgno;
    private long crc;
    private long lastPgno;
    private final PageIndex.Builder frames = new PageIndex.Builder();
    private DatabaseChecksum snapshotSum;
    /** Set with {@code snapshotSum}: lets one CRC pass over a page serve both checksums. */
    private Crc64.ZeroShift pageShift;
    private LtxSummary summary;

    /** @param fileName named in every error; may be null */
    public LtxDecoder(InputStream in, String fileName) {
        this.in = in;
        this.fileName = fileName;
        this.src = new ByteSource.OfStream(in, fileName);
    }

    /**
     * Decodes a file held whole in memory, {@code file[off, off + len)}, in place: no read-ahead copy (a stream
     * costs one copy of every compressed byte). The array must not change while decoding.
     *
     * @param fileName named in every error; may be null
     */
    public LtxDecoder(byte[] file, int off, int len, String fileName) {
        Objects.checkFromIndexSize(off, len, file.length);
        this.in = InputStream.nullInputStream();
        this.fileName = fileName;
        this.src = new ByteSource.OfArray(file, off, len, fileName, off == 0);
    }

    public String fileName() {
        return fileName;
    }

    /** Reads and validates the header on first call. */
    public LtxHeader header() throws IOException {
        if (header == null) {
            int at = src.take(Ltx.HEADER_SIZE, "header");
            byte[] a = src.array();
            LtxHeader h = LtxHeader.parse(a, at, Ltx.HEADER_SIZE, fileName).validate(fileName);
            crc = Crc64.update(0, a, at, Ltx.HEADER_SIZE);
            pageSize = h.pageSize();
            commit = h.commitPages();
            lockPgno = Ltx.lockPgno(pageSize);
            if (h.isSnapshot() && !h.noChecksum()) {
                snapshotSum = new DatabaseChecksum(pageSize);
                pageShift = Crc64.zeroShift(pageSize);
            }
            header = h;
        }
        return header;
    }

    /**
     * Decodes the next page into {@code dst[off, off + pageSize)}.
     *
     * @return the page number, or 0 once the end of pages is reached; then the index and trailer have been
     *         read and the whole file verified, and further calls keep returning 0
     * @throws LtxFormatException if the file is malformed at any point up to the trailer
     */
    public long readPage(byte[] dst, int off) throws IOException {
        header();
        if (summary != null) {
            return 0;
        }
        Objects.checkFromIndexSize(off, pageSize, dst.length);
        int ordinal = frames.count();
        long frameStart = src.position();
        src.mark();
        int at = src.take(Ltx.PAGE_HEADER_SIZE, "frame[", ordinal, "].header");
        byte[] a = src.array();
        long pgno = Integer.toUnsignedLong(PageFrames.readIntBE(a, at));
        int flags = ((a[at + 4] & 0xFF) << 8) | (a[at + 5] & 0xFF);
        if (pgno == 0 && flags == 0) {
            src.unmark();
            crc = Crc64.update(crc, a, at, Ltx.PAGE_HEADER_SIZE);
            finishFile();
            return 0;
        }
        checkPageHeader(pgno, flags, ordinal);
        if (flags == Ltx.PAGE_FLAG_SIZE) {
            // The page header and the block's size field are hashed in one call once the block is read: the mark
            // keeps them in front of the block (one frame at most) whatever the read-ahead does meanwhile.
            int compressed = PageFrames.decodeBody(src, pgno, flags, pageSize, dst, off);
            crc = Crc64.update(crc, src.array(), src.marked(), Ltx.PAGE_HEADER_SIZE + 4);
            assert compressed == PageFrames.readIntBE(src.array(), src.marked() + Ltx.PAGE_HEADER_SIZE);
            src.unmark();
        } else {
            // A legacy LZ4 frame can be longer than the read-ahead: nothing of it but the page header is hashed.
            src.unmark();
            crc = Crc64.update(crc, a, at, Ltx.PAGE_HEADER_SIZE);
            PageFrames.decodeBody(src, pgno, flags, pageSize, dst, off);
        }
        if (snapshotSum != null) {
            // One pass over the page for its page checksum, moved onto the file CRC (see Crc64.rebase).
            long seed = Crc64.updateInt(0, (int) pgno);
            long pageCrc = Crc64.update(seed, dst, off, pageSize);
            crc = Crc64.rebase(pageCrc, seed, crc, pageShift);
            snapshotSum.toggleChecksum(Ltx.CHECKSUM_FLAG | pageCrc);
        } else {
            crc = Crc64.update(crc, dst, off, pageSize);
        }
        frames.add(pgno, frameStart, (int) (src.position() - frameStart));
        lastPgno = pgno;
        return pgno;
    }

    private void checkPageHeader(long pgno, int flags, int ordinal) throws LtxFormatException {
        if (pgno == 0) {
            throw error("frame[" + ordinal + "].pgno", "page number required");
        }
        if ((flags & ~Ltx.PAGE_FLAG_SIZE) != 0) {
            throw error(PageFrames.field(pgno, "flags"), String.format("invalid page header flags: 0x%04x", flags));
        }
        if (pgno > commit) {
            throw error(PageFrames.field(pgno, "pgno"), "page number " + pgno + " out-of-bounds for commit size " + commit);
        }
        if (pgno == lockPgno) {
            throw error(PageFrames.field(pgno, "pgno"), "lock page must not be stored");
        }
        if (header.isSnapshot()) {
            long expected = lastPgno == 0 ? 1 : (lastPgno + 1 == lockPgno ? lastPgno + 2 : lastPgno + 1);
            if (pgno != expected) {
                throw error(PageFrames.field(pgno, "pgno"), "nonsequential page numbers in snapshot: "
                        + lastPgno + "," + pgno + " (expected " + expected + ")");
            }
        } else if (pgno <= lastPgno) {
            throw error(PageFrames.field(pgno, "pgno"), "out-of-order page numbers: " + lastPgno + "," + pgno);
        }
    }

    private void finishFile() throws IOException {
        if (header.isSnapshot()) {
            long expectLast = commit == lockPgno ? commit - 1 : commit;
            if (lastPgno != expectLast) {
                throw error("page", "snapshot is incomplete: pages end at " + lastPgno + " but Commit is " + commit);
            }
        }
        long indexStart = src.position();
        int n = frames.count();
        byte[] a;
        // The index's bytes are hashed a group of entries at a time (one CRC call instead of one per byte); a group
        // of at most 30-byte entries stays well inside the read-ahead.
        src.mark();
        for (int i = 0; i <= n; i++) {
            if (i % INDEX_HASH_GROUP == INDEX_HASH_GROUP - 1) {
                hashMarked();
            }
            long pgno = uvarint(i, "].pgno");
            if (i == n) {
                if (pgno != 0) {
                    throw error("pageIndex[" + i + "].pgno", "index lists more entries than the " + n + " frames in the file");
                }
                break;
            }
            if (pgno != frames.pgno(i)) {
                throw error("pageIndex[" + i + "].pgno", pgno == 0
                        ? "index ends after " + i + " entries but the file has " + n + " frames"
                        : "index entry for page " + Long.toUnsignedString(pgno) + " but frame " + i + " holds page "
                        + frames.pgno(i));
            }
            long offset = uvarint(i, "].offset");
            if (offset != frames.offset(i)) {
                throw error("pageIndex[" + i + "].offset", "index offset " + Long.toUnsignedString(offset) + " but the frame is at "
                        + frames.offset(i));
            }
            long size = uvarint(i, "].size");
            if (size != frames.size(i)) {
                throw error("pageIndex[" + i + "].size", "index size " + Long.toUnsignedString(size) + " but the frame has "
                        + frames.size(i) + " bytes");
            }
        }
        hashMarked();
        src.unmark();
        long indexBytes = src.position() - indexStart;
        int at = src.take(Ltx.INDEX_SIZE_FIELD, "pageIndex.size");
        a = src.array();
        long declared = PageFrames.readLongBE(a, at);
        crc = Crc64.update(crc, a, at, Ltx.INDEX_SIZE_FIELD);
        if (declared != indexBytes) {
            throw error("pageIndex.size", "index size field " + Long.toUnsignedString(declared) + " but the index has "
                    + indexBytes + " bytes");
        }
        at = src.take(Ltx.TRAILER_SIZE, "trailer");
        a = src.array();
        long post = PageFrames.readLongBE(a, at);
        long fileChecksum = PageFrames.readLongBE(a, at + 8);
        crc = Crc64.update(crc, a, at, 8);
        long computed = Ltx.CHECKSUM_FLAG | crc;
        if (fileChecksum != computed) {
            throw error("trailer.fileChecksum", String.format("file checksum mismatch: stored %016x, computed %016x",
                    fileChecksum, computed));
        }
        if (!src.atEnd()) {
            throw error("trailer", "unexpected bytes after the trailer");
        }
        checkPostApply(post);
        summary = new LtxSummary(header, post, fileChecksum, src.position(), frames.build());
    }

    private void checkPostApply(long post) throws LtxFormatException {
        String f = "trailer.postApplyChecksum";
        if (header.noChecksum()) {
            if (post != 0) {
                throw error(f, "post-apply checksum not allowed on NoChecksum files");
            }
            return;
        }
        if ((post & Ltx.CHECKSUM_FLAG) == 0) {
            throw error(f, String.format("invalid post-apply checksum format: %016x", post));
        }
        if (commit == 0 && post != Ltx.CHECKSUM_FLAG) {
            throw error(f, "post-apply checksum must be empty for zero-length database");
        }
        if (snapshotSum != null && snapshotSum.value() != post) {
            throw error(f, String.format("post-apply checksum in trailer (%016x) does not match calculated checksum (%016x)",
                    post, snapshotSum.value()));
        }
    }

    /** Index entries hashed per CRC call; 256 entries of at most 30 bytes stay well inside the read-ahead. */
    private static final int INDEX_HASH_GROUP = 256;

    /** Hashes the bytes consumed since the mark into the file CRC and marks the next byte. */
    private void hashMarked() {
        int from = src.marked();
        crc = Crc64.update(crc, src.array(), from, src.next() - from);
        src.mark();
    }

    /** Reads entry {@code entry}'s next varint; {@code part} completes the field name, built only for errors. */
    private long uvarint(int entry, String part) throws IOException {
        if (src.buffered() >= 10) { // the common case: parsed in place, consumed with one take
            byte[] a = src.array();
            int p = src.next();
            long value = 0;
            for (int i = 0; i < 10; i++) {
                int b = a[p + i] & 0xFF;
                if (i == 9 && b > 1) {
                    break;
                }
                value |= (long) (b & 0x7F) << (7 * i);
                if (b < 0x80) {
                    src.take(i + 1, "pageIndex[", entry, part);
                    return value;
                }
            }
            src.take(10, "pageIndex[", entry, part);
            throw error("pageIndex[" + entry + part, "varint overflows a 64-bit integer");
        }
        long value = 0;
        for (int i = 0; i < 10; i++) {
            int at = src.take(1, "pageIndex[", entry, part);
            int b = src.array()[at] & 0xFF;
            if (i == 9 && b > 1) {
                break;
            }
            value |= (long) (b & 0x7F) << (7 * i);
            if (b < 0x80) {
                return value;
            }
        }
        throw error("pageIndex[" + entry + part, "varint overflows a 64-bit integer");
    }

    /** The verified file's summary, once {@link #readPage} has returned 0. */
    public LtxSummary summary() {
        if (summary == null) {
            throw new IllegalStateException("the file has not been read to its end");
        }
        return summary;
    }

    /** Closes the underlying stream. */
    @Override
    public void close() throws IOException {
        in.close();
    }

    private LtxFormatException error(String field, String detail) {
        return new LtxFormatException(fileName, field, detail);
    }

    /**
     * Reads and verifies a whole file, discarding page contents. Does not close the stream.
     *
     * @throws LtxFormatException if anything about the file is invalid
     */
    public static LtxSummary verify(InputStream in, String fileName) throws IOException {
        LtxDecoder d = new LtxDecoder(in, fileName);
        byte[] page = new byte[d.header().pageSize()];
        while (d.readPage(page, 0) != 0) {
            // every page is checked as it is decoded
        }
        return d.summary();
    }
}
