package dev.ltx4j.ltx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * Writes one LTX v3 file (block frames, as Litestream v0.5.16+ writes) to an OutputStream as pages arrive:
 * the header on construction, one frame per {@link #writePage} call, then {@link #finish} writes the end
 * marker, page index and trailer. The file checksum is computed on the fly, so nothing is re-read.
 *
 * <p>Rules enforced (the reference encoder's, plus snapshot completeness and the snapshot post-apply value so
 * that every file written here is accepted by {@link LtxDecoder}):
 * <ul>
 *   <li>the header is valid ({@link LtxHeader#validate});</li>
 *   <li>1 &lt;= pgno &lt;= Commit; the lock page is never written; the page buffer holds PageSize bytes;</li>
 *   <li>snapshots (MinTXID 1) hold pages 1..Commit in order, skipping the lock page; other files hold pages in
 *       strictly ascending order;</li>
 *   <li>trailer: NoChecksum files have post-apply 0; others have bit 63 set; Commit 0 requires post-apply
 *       {@code 0x8000000000000000}; a tracked snapshot's post-apply must equal its pages' checksum.</li>
 * </ul>
 * A violation throws {@link LtxFormatException} naming the field; the stream is then unusable.
 *
 * <p>Buffers are allocated once per encoder; {@code writePage} allocates nothing. The stream is written in
 * page-sized chunks: wrap it in a buffer only if it is very slow per call. The stream is not closed.
 * Not thread-safe.
 */
public final class LtxEncoder {
    private final OutputStream out;
    private final LtxHeader header;
    private final String fileName;
    private final int pageSize;
    private final long commit;
    private final long lockPgno;
    private final byte[] frame;
    /** {@code frame} as the destination of compressing from a buffer. */
    private final ByteBuffer frameBuffer;
    private final PageIndex.Builder index = new PageIndex.Builder();
    private final DatabaseChecksum snapshotSum;
    /** Moves a page's own CRC onto the file CRC: one CRC pass over a page serves both checksums. */
    private final Crc64.ZeroShift pageShift;
    private long crc;
    private long position;
    private long lastPgno;
    private boolean finished;

    /**
     * Validates {@code header} and writes it.
     *
     * @param fileName named in errors; may be null
     */
    public LtxEncoder(OutputStream out, LtxHeader header, String fileName) throws IOException {
        this.out = out;
        this.fileName = fileName;
        this.header = header.validate(fileName);
        this.pageSize = header.pageSize();
        this.commit = header.commitPages();
        this.lockPgno = Ltx.lockPgno(pageSize);
        this.frame = new byte[Ltx.PAGE_HEADER_SIZE + 4 + Ltx.compressBound(pageSize)];
        this.frameBuffer = ByteBuffer.wrap(frame);
        this.snapshotSum = header.isSnapshot() && !header.noChecksum() ? new DatabaseChecksum(pageSize) : null;
        this.pageShift = Crc64.zeroShift(pageSize);
        byte[] h = header.toBytes();
        crc = Crc64.update(0, h, 0, h.length);
        write(h, h.length);
    }

    public LtxEncoder(OutputStream out, LtxHeader header) throws IOException {
        this(out, header, null);
    }

    public LtxHeader header() {
        return header;
    }

    /**
     * Compresses and writes page {@code pgno} from {@code data[off, off + pageSize)}.
     *
     * @throws LtxFormatException if the page breaks a rule listed on the class
     */
    public void writePage(long pgno, byte[] data, int off) throws IOException {
        writePage(pgno, data, off, 0);
    }

    /**
     * Like {@link #writePage(long, byte[], int)} for a page whose LTX page checksum ({@link Crc64#pageChecksum}) is
     * already known, e.g. computed when the page was committed: the file checksum is then derived from it
     * ({@link Crc64#pageCrc}, one AND/XOR pass) instead of hashing the page a second time. The value must be the
     * checksum of exactly these bytes (verify the bytes first when they were stored in between): a wrong one
     * makes a file that fails its file checksum. 0 means not known: the page is hashed.
     *
     * @throws LtxFormatException if the page breaks a rule listed on the class
     */
    public void writePage(long pgno, byte[] data, int off, long pageChecksum) throws IOException {
        checkPage(pgno, pageChecksum, off, data.length - off);
        int c = Lz4.COMPRESSOR.compress(data, off, pageSize, frame, 10, frame.length - 10);
        long frameCrc = Crc64.update(crc, frameHeader(pgno, c), 0, 10);
        if (snapshotSum != null || pageChecksum != 0) {
            // The page checksum hashes BE32(pgno) || page; the file checksum hashes the page after the frame
            // header. Hash the page once from the page-number seed (or take that hash from the known checksum) and
            // move the result onto the file CRC.
            long pageCrc = pageChecksum != 0 ? Crc64.pageCrc(pgno, pageChecksum, data, off, pageSize)
                    : Crc64.update(Crc64.updateInt(0, (int) pgno), data, off, pageSize);
            crc = onto(pgno, pageCrc, frameCrc);
        } else {
            crc = Crc64.update(frameCrc, data, off, pageSize);
        }
        emit(pgno, c);
    }

    /**
     * Like {@link #writePage(long, byte[], int)}, and returns the page's LTX page checksum ({@link Crc64#pageChecksum}):
     * the page is hashed once, from its page-number seed, and that one CRC pass serves both the returned checksum and
     * the file checksum (moved onto it with {@link Crc64#rebase}). For an encoder that needs the page checksums of the
     * pages it writes (the post-apply checksum, a page map) and has not computed them yet.
     *
     * @throws LtxFormatException if the page breaks a rule listed on the class
     */
    public long writePageChecksummed(long pgno, byte[] data, int off) throws IOException {
        checkPage(pgno, 0, off, data.length - off);
        int c = Lz4.COMPRESSOR.compress(data, off, pageSize, frame, 10, frame.length - 10);
        long frameCrc = Crc64.update(crc, frameHeader(pgno, c), 0, 10);
        long pageCrc = Crc64.update(Crc64.updateInt(0, (int) pgno), data, off, pageSize);
        crc = onto(pgno, pageCrc, frameCrc);
        emit(pgno, c);
        return Ltx.CHECKSUM_FLAG | pageCrc;
    }

    /**
     * Like {@link #writePageChecksummed(long, byte[], int)} with the page at {@code data[index, index + pageSize)} of
     * a buffer (heap or direct, e.g. the window a sync read buffer records into), not copied first: compressed and
     * hashed where it is. Returns the page's LTX page checksum.
     *
     * @throws LtxFormatException if the page breaks a rule listed on the class
     */
    public long writePageChecksummed(long pgno, ByteBuffer data, int index) throws IOException {
        checkPage(pgno, 0, index, data.limit() - index);
        int c = Lz4.COMPRESSOR.compress(data, index, pageSize, frameBuffer, 10, frame.length - 10);
        long frameCrc = Crc64.update(crc, frameHeader(pgno, c), 0, 10);
        long pageCrc = Crc64.update(Crc64.updateInt(0, (int) pgno), data, index, pageSize);
        crc = onto(pgno, pageCrc, frameCrc);
        emit(pgno, c);
        return Ltx.CHECKSUM_FLAG | pageCrc;
    }

    /**
     * Like {@link #writePage(long, byte[], int, long)} with the page at {@code data[index, index + pageSize)} of a
     * buffer (heap or direct, e.g. straight from a read of the file holding it), not copied first; the page
     * checksum must be known (not 0).
     *
     * @throws LtxFormatException if the page breaks a rule listed on the class
     */
    public void writePage(long pgno, ByteBuffer data, int index, long pageChecksum) throws IOException {
        if (pageChecksum == 0) {
            throw new IllegalArgumentException("page " + pgno + " from a buffer needs its page checksum");
        }
        checkPage(pgno, pageChecksum, index, data.limit() - index);
        int c = Lz4.COMPRESSOR.compress(data, index, pageSize, frameBuffer, 10, frame.length - 10);
        long pageCrc = Crc64.pageCrc(pgno, pageChecksum, data, index, pageSize);
        crc = onto(pgno, pageCrc, Crc64.update(crc, frameHeader(pgno, c), 0, 10));
        emit(pgno, c);
    }

    /**
     * Writes page {@code pgno} from a block prepared by {@link PageBlock} ({@code block[index, index + length)}, the
     * page's LZ4 block) and its raw page CRC ({@link PageBlock#pageCrc}): the frame is copied, nothing is compressed
     * or hashed. Same rules as {@link #writePage(long, byte[], int)}; the block and the CRC must be those of exactly
     * one page (verify them first when they were stored in between: a wrong block makes a file whose page decodes
     * wrong or not at all, a wrong CRC one that fails its file checksum). Returns the page's LTX page checksum.
     *
     * @throws LtxFormatException if the page breaks a rule listed on the class
     * @throws IllegalArgumentException if {@code length} is outside 1..{@link PageBlock#maxBlockSize}
     */
    public long writeCompressedPage(long pgno, ByteBuffer block, int index, int length, long pageCrc)
            throws IOException {
        checkPage(pgno, 0, 0, pageSize);
        if (length < 1 || length > Ltx.compressBound(pageSize)) {
            throw new IllegalArgumentException("compressed page " + pgno + " of " + length
                    + " bytes is outside 1.." + Ltx.compressBound(pageSize) + " for page size " + pageSize);
        }
        block.get(index, frame, 10, length);
        crc = onto(pgno, pageCrc, Crc64.update(crc, frameHeader(pgno, length), 0, 10));
        emit(pgno, length);
        return Ltx.CHECKSUM_FLAG | pageCrc;
    }

    /** The frame header of a page compressed to {@code c} bytes, in {@code frame[0, 10)}. */
    private byte[] frameHeader(long pgno, int c) {
        PageFrames.writeIntBE(frame, 0, (int) pgno);
        frame[4] = 0;
        frame[5] = (byte) Ltx.PAGE_FLAG_SIZE;
        PageFrames.writeIntBE(frame, 6, c);
        return frame;
    }

    /** The file CRC {@code fileCrc} continued over a page whose own CRC (from its page-number seed) is known. */
    private long onto(long pgno, long pageCrc, long fileCrc) {
        if (snapshotSum != null) {
            snapshotSum.toggleChecksum(Ltx.CHECKSUM_FLAG | pageCrc);
        }
        return Crc64.rebase(pageCrc, Crc64.updateInt(0, (int) pgno), fileCrc, pageShift);
    }

    private void emit(long pgno, int c) throws IOException {
        index.add(pgno, position, 10 + c);
        write(frame, 10 + c);
        lastPgno = pgno;
    }

    /** The rules every page meets, checked before anything is written; {@code available}: bytes from {@code off}. */
    private void checkPage(long pgno, long pageChecksum, int off, int available) throws LtxFormatException {
        if (finished) {
            throw error("page", "encoder already finished");
        }
        if (pgno <= 0 || pgno > commit) {
            throw error(PageFrames.field(pgno, "pgno"), "page number " + pgno + " out-of-bounds for commit size "
                    + commit);
        }
        if (off < 0 || available < pageSize) {
            throw error(PageFrames.field(pgno, "data"), "invalid page buffer size: " + Math.max(0, available)
                    + ", expecting " + pageSize);
        }
        if (pgno == lockPgno) {
            throw error(PageFrames.field(pgno, "pgno"), "cannot encode lock page: pgno=" + pgno);
        }
        if (pageChecksum != 0 && (pageChecksum & Ltx.CHECKSUM_FLAG) == 0) {
            throw new IllegalArgumentException("page checksum " + Long.toHexString(pageChecksum) + " of page " + pgno
                    + " lacks the checksum flag");
        }
        checkOrder(pgno);
    }

    private void checkOrder(long pgno) throws LtxFormatException {
        if (header.isSnapshot()) {
            if (lastPgno == 0) {
                if (pgno != 1) {
                    throw error(PageFrames.field(pgno, "pgno"), "snapshot transaction file must start with page number 1");
                }
            } else {
                long next = lastPgno + 1 == lockPgno ? lastPgno + 2 : lastPgno + 1;
                if (pgno != next) {
                    throw error(PageFrames.field(pgno, "pgno"), "nonsequential page numbers in snapshot transaction: "
                            + lastPgno + "," + pgno);
                }
            }
        } else if (pgno <= lastPgno) {
            throw error(PageFrames.field(pgno, "pgno"), "out-of-order page numbers: " + lastPgno + "," + pgno);
        }
    }

    /**
     * Writes the end marker, page index and trailer, and flushes the stream.
     *
     * @param postApplyChecksum the database checksum after applying this file; 0 for NoChecksum files
     * @throws LtxFormatException if a snapshot is incomplete or the post-apply value breaks the rules
     */
    public LtxEncodeResult finish(long postApplyChecksum) throws IOException {
        if (finished) {
            throw error("trailer", "encoder already finished");
        }
        checkTrailer(postApplyChecksum);
        finished = true;
        int n = index.count();
        byte[] tail = new byte[Ltx.PAGE_HEADER_SIZE + n * 3 * 10 + 1 + Ltx.INDEX_SIZE_FIELD + Ltx.TRAILER_SIZE];
        int p = Ltx.PAGE_HEADER_SIZE; // end-of-pages marker: six zero bytes
        int indexStart = p;
        for (int i = 0; i < n; i++) {
            p = putUvarint(tail, p, index.pgno(i));
            p = putUvarint(tail, p, index.offset(i));
            p = putUvarint(tail, p, index.size(i));
        }
        tail[p++] = 0;
        PageFrames.writeLongBE(tail, p, p - indexStart);
        p += 8;
        PageFrames.writeLongBE(tail, p, postApplyChecksum);
        p += 8;
        crc = Crc64.update(crc, tail, 0, p);
        long fileChecksum = Ltx.CHECKSUM_FLAG | crc;
        PageFrames.writeLongBE(tail, p, fileChecksum);
        p += 8;
        write(tail, p);
        out.flush();
        return new LtxEncodeResult(header, postApplyChecksum, fileChecksum, position, index.build());
    }

    private void checkTrailer(long post) throws LtxFormatException {
        if (header.isSnapshot()) {
            long expectLast = commit == lockPgno ? commit - 1 : commit;
            if (lastPgno != expectLast) {
                throw error("page", "snapshot must hold pages 1.." + commit + " but ends at page " + lastPgno);
            }
        }
        if (header.noChecksum()) {
            if (post != 0) {
                throw error("trailer.postApplyChecksum", "post-apply checksum not allowed");
            }
        } else if (post == 0) {
            throw error("trailer.postApplyChecksum", "post-apply checksum required");
        } else if ((post & Ltx.CHECKSUM_FLAG) == 0) {
            throw error("trailer.postApplyChecksum", "invalid post-apply checksum format");
        }
        if (commit == 0 && post != Ltx.CHECKSUM_FLAG) {
            throw error("trailer.postApplyChecksum", "post-apply checksum must be empty for zero-length database");
        }
        if (snapshotSum != null && snapshotSum.value() != post) {
            throw error("trailer.postApplyChecksum", String.format(
                    "post-apply checksum %016x does not match the snapshot's pages (%016x)", post, snapshotSum.value()));
        }
    }

    static int putUvarint(byte[] b, int p, long v) {
        while (Long.compareUnsigned(v, 0x80) >= 0) {
            b[p++] = (byte) (v | 0x80);
            v >>>= 7;
        }
        b[p++] = (byte) v;
        return p;
    }

    private void write(byte[] b, int len) throws IOException {
        out.write(b, 0, len);
        position += len;
    }

    private LtxFormatException error(String field, String detail) {
        return new LtxFormatException(fileName, field, detail);
    }
}
