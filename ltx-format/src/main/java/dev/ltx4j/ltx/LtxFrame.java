package dev.ltx4j.ltx;

import java.io.IOException;
import java.util.Objects;

/** Decodes a single page frame fetched by random access (see {@link PageIndex}). Thread-safe. */
public final class LtxFrame {
    private LtxFrame() {}

    /**
     * Decodes one whole frame (page header, then a block or a legacy LZ4 frame) into
     * {@code dst[dstOff, dstOff + pageSize)}. The frame must hold {@code expectedPgno}, decompress to exactly
     * {@code pageSize} bytes and end exactly at {@code off + len}. A single frame carries no file checksum, so
     * only structural errors (and a legacy frame's xxh32 checksums) can be detected here.
     *
     * @param pageSize the file's page size, from its header
     * @param fileName named in errors
     * @throws LtxFormatException if the frame is malformed, holds another page or has trailing bytes
     */
    public static void decode(byte[] frame, int off, int len, long expectedPgno, int pageSize, byte[] dst,
            int dstOff, String fileName) throws LtxFormatException {
        if (!Ltx.isValidPageSize(pageSize)) {
            throw new IllegalArgumentException("invalid page size: " + pageSize);
        }
        Objects.checkFromIndexSize(off, len, frame.length);
        Objects.checkFromIndexSize(dstOff, pageSize, dst.length);
        ByteSource.OfArray src = new ByteSource.OfArray(frame, off, len, fileName, false);
        try {
            int at = src.take(Ltx.PAGE_HEADER_SIZE, "page[", expectedPgno, "].header");
            long pgno = Integer.toUnsignedLong(PageFrames.readIntBE(frame, at));
            int flags = ((frame[at + 4] & 0xFF) << 8) | (frame[at + 5] & 0xFF);
            if (pgno != expectedPgno) {
                throw new LtxFormatException(fileName, PageFrames.field(expectedPgno, "pgno"),
                        "frame holds page " + pgno + ", expected " + expectedPgno);
            }
            if ((flags & ~Ltx.PAGE_FLAG_SIZE) != 0) {
                throw new LtxFormatException(fileName, PageFrames.field(pgno, "flags"),
                        String.format("invalid page header flags: 0x%04x", flags));
            }
            PageFrames.decodeBody(src, pgno, flags, pageSize, dst, dstOff);
            if (!src.atEnd()) {
                throw new LtxFormatException(fileName, PageFrames.field(pgno, "frame"),
                        (len - src.position()) + " trailing bytes after the frame");
            }
        } catch (LtxFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException("in-memory source cannot fail", e);
        }
    }
}
