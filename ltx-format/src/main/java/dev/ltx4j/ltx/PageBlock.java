package dev.ltx4j.ltx;

import java.nio.ByteBuffer;

/**
 * A page prepared for an LTX frame ahead of encoding: its LZ4 block exactly as {@link LtxEncoder} writes it into a
 * frame (same compressor, so the same bytes), and its raw page CRC (CRC-64 of the page from its page-number seed, all
 * 64 bits: {@link Ltx#CHECKSUM_FLAG} {@code |} the value is the LTX page checksum). A store that keeps pages in this
 * form (the write buffer, docs/write-buffer-recovery.md) hands them to
 * {@link LtxEncoder#writeCompressedPage(long, ByteBuffer, int, int, long)} without compressing or hashing them again.
 */
public final class PageBlock {
    private PageBlock() {}

    /** The largest block a page of {@code pageSize} bytes compresses to. */
    public static int maxBlockSize(int pageSize) {
        return Ltx.compressBound(pageSize);
    }

    /**
     * Compresses {@code src[srcIndex, srcIndex + pageSize)} into {@code dst} from {@code dstIndex} (room for
     * {@link #maxBlockSize} bytes needed); positions and limits are not changed. Returns the block's length.
     */
    public static int compress(ByteBuffer src, int srcIndex, int pageSize, ByteBuffer dst, int dstIndex) {
        return Lz4.COMPRESSOR.compress(src, srcIndex, pageSize, dst, dstIndex, maxBlockSize(pageSize));
    }

    /** The raw page CRC of {@code page[index, index + pageSize)} as page {@code pgno}. */
    public static long pageCrc(long pgno, ByteBuffer page, int index, int pageSize) {
        return Crc64.update(Crc64.updateInt(0, (int) pgno), page, index, pageSize);
    }

    /** The raw page CRC of {@code page[off, off + pageSize)} as page {@code pgno}. */
    public static long pageCrc(long pgno, byte[] page, int off, int pageSize) {
        return Crc64.update(Crc64.updateInt(0, (int) pgno), page, off, pageSize);
    }

    /**
     * Decompresses the block {@code src[index, index + length)} into {@code dst[0, pageSize)}. Returns the number of
     * bytes it yields, or -1 when it is not a valid LZ4 block or would exceed {@code pageSize}: anything but
     * {@code pageSize} means the block is damaged (the caller names the page and the file).
     */
    public static int decompress(ByteBuffer src, int index, int length, byte[] dst, int pageSize) {
        try {
            return Lz4.DECOMPRESSOR.decompress(src, index, length, ByteBuffer.wrap(dst), 0, pageSize);
        } catch (net.jpountz.lz4.LZ4Exception e) {
            return -1;
        }
    }
}
