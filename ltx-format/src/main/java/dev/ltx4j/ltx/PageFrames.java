package dev.ltx4j.ltx;

import java.io.IOException;

/**
 * Decodes the body of one page frame (everything after the 6-byte page header) in either encoding, with the
 * same strictness wherever the frame comes from (a stream or a ranged read).
 */
final class PageFrames {
    private PageFrames() {}

    static final int LZ4_FRAME_MAGIC = 0x184D2204;

    static String field(long pgno, String part) {
        return "page[" + pgno + "]." + part;
    }

    /**
     * Reads one frame body into {@code dst[dstOff, dstOff + pageSize)}.
     *
     * @return the compressed size of a block frame, or -1 for a legacy LZ4-frame page
     */
    static int decodeBody(ByteSource src, long pgno, int flags, int pageSize, byte[] dst, int dstOff)
            throws IOException {
        if (flags == Ltx.PAGE_FLAG_SIZE) {
            return decodeBlock(src, pgno, pageSize, dst, dstOff);
        }
        decodeLegacyFrame(src, pgno, pageSize, dst, dstOff);
        return -1;
    }

    private static int decodeBlock(ByteSource src, long pgno, int pageSize, byte[] dst, int dstOff)
            throws IOException {
        int at = src.take(4, "page[", pgno, "].compressedSize");
        byte[] a = src.array(); // take() may have replaced the buffer
        long size = Integer.toUnsignedLong(readIntBE(a, at));
        int bound = Ltx.compressBound(pageSize);
        if (size == 0 || size > bound) {
            throw new LtxFormatException(src.fileName, field(pgno, "compressedSize"),
                    "compressed size " + size + " outside 1.." + bound + " for page size " + pageSize);
        }
        int n = (int) size;
        int off = src.take(n, "page[", pgno, "].data");
        decompress(src.array(), off, n, dst, dstOff, pageSize, src.fileName, pgno, pageSize);
        return n;
    }

    private static void decompress(byte[] in, int off, int len, byte[] dst, int dstOff, int maxOut,
            String fileName, long pgno, int expected) throws LtxFormatException {
        int produced;
        try {
            produced = Lz4.DECOMPRESSOR.decompress(in, off, len, dst, dstOff, maxOut);
        } catch (RuntimeException e) {
            // lz4-java signals malformed data with LZ4Exception (and, in some Java paths, index errors).
            throw new LtxFormatException(fileName, field(pgno, "data"),
                    "invalid LZ4 block or decompresses past the page size: " + e.getMessage(), e);
        }
        if (produced != expected) {
            throw new LtxFormatException(fileName, field(pgno, "data"),
                    "LZ4 block decompresses to " + produced + " bytes, expected " + expected);
        }
    }

    /**
     * A legacy page (ltx v0.5.0/v0.5.1): one complete LZ4 frame with no length prefix. Parsed here so that no
     * byte past the frame's end is consumed.
     */
    private static void decodeLegacyFrame(ByteSource src, long pgno, int pageSize, byte[] dst, int dstOff)
            throws IOException {
        String fn = src.fileName;
        int at = src.take(4, field(pgno, "lz4.magic"));
        byte[] a = src.array(); // take() may have replaced the buffer
        if (readIntLE(a, at) != LZ4_FRAME_MAGIC) {
            throw new LtxFormatException(fn, field(pgno, "lz4.magic"),
                    String.format("not an LZ4 frame: magic 0x%08x", readIntLE(a, at)));
        }
        byte[] desc = new byte[14];
        at = src.take(2, field(pgno, "lz4.descriptor"));
        a = src.array();
        int flg = a[at] & 0xFF;
        int bd = a[at + 1] & 0xFF;
        desc[0] = (byte) flg;
        desc[1] = (byte) bd;
        int descLen = 2;
        if ((flg >>> 6) != 1 || (flg & 0x02) != 0) {
            throw new LtxFormatException(fn, field(pgno, "lz4.flg"), String.format("unsupported LZ4 FLG 0x%02x", flg));
        }
        if ((bd & 0x8F) != 0 || ((bd >>> 4) & 7) < 4) {
            throw new LtxFormatException(fn, field(pgno, "lz4.bd"), String.format("invalid LZ4 BD 0x%02x", bd));
        }
        boolean independent = (flg & 0x20) != 0;
        boolean blockChecksum = (flg & 0x10) != 0;
        boolean contentSize = (flg & 0x08) != 0;
        boolean contentChecksum = (flg & 0x04) != 0;
        if ((flg & 0x01) != 0) {
            throw new LtxFormatException(fn, field(pgno, "lz4.flg"), "LZ4 dictionary IDs are not supported");
        }
        int blockMax = 1 << (8 + 2 * ((bd >>> 4) & 7));
        if (contentSize) {
            at = src.take(8, field(pgno, "lz4.contentSize"));
            a = src.array();
            System.arraycopy(a, at, desc, 2, 8);
            descLen += 8;
            long declared = (readIntLE(a, at) & 0xFFFFFFFFL) | ((long) readIntLE(a, at + 4) << 32);
            if (declared != pageSize) {
                throw new LtxFormatException(fn, field(pgno, "lz4.contentSize"),
                        "content size " + Long.toUnsignedString(declared) + " != page size " + pageSize);
            }
        }
        at = src.take(1, field(pgno, "lz4.headerChecksum"));
        a = src.array();
        int hc = (Lz4.XXH32.hash(desc, 0, descLen, 0) >>> 8) & 0xFF;
        if ((a[at] & 0xFF) != hc) {
            throw new LtxFormatException(fn, field(pgno, "lz4.headerChecksum"),
                    String.format("descriptor checksum 0x%02x, expected 0x%02x", a[at] & 0xFF, hc));
        }
        int produced = 0;
        int blocks = 0;
        while (true) {
            at = src.take(4, field(pgno, "lz4.blockSize"));
            a = src.array();
            int word = readIntLE(a, at);
            if (word == 0) {
                break;
            }
            boolean stored = word < 0;
            int size = word & 0x7FFFFFFF;
            int remaining = pageSize - produced;
            int limit = stored ? Math.min(blockMax, remaining) : Math.min(blockMax, Ltx.compressBound(pageSize));
            if (size > limit || remaining == 0) {
                throw new LtxFormatException(fn, field(pgno, "lz4.blockSize"),
                        "block size " + size + " exceeds what the page can hold (" + limit + ")");
            }
            if (blocks > 0 && !independent) {
                throw new LtxFormatException(fn, field(pgno, "lz4.flg"), "linked LZ4 blocks are not supported");
            }
            int off = src.take(size, field(pgno, "lz4.block"));
            a = src.array();
            int blockHash = blockChecksum ? Lz4.XXH32.hash(a, off, size, 0) : 0;
            int before = produced;
            if (stored) {
                System.arraycopy(a, off, dst, dstOff + produced, size);
                produced += size;
            } else {
                int n;
                try {
                    n = Lz4.DECOMPRESSOR.decompress(a, off, size, dst, dstOff + produced, remaining);
                } catch (RuntimeException e) {
                    throw new LtxFormatException(fn, field(pgno, "lz4.block"),
                            "invalid LZ4 block or decompresses past the page size: " + e.getMessage(), e);
                }
                produced += n;
            }
            if (produced == before) {
                throw new LtxFormatException(fn, field(pgno, "lz4.block"), "empty LZ4 block");
            }
            if (blockChecksum) {
                at = src.take(4, field(pgno, "lz4.blockChecksum"));
                if (readIntLE(src.array(), at) != blockHash) {
                    throw new LtxFormatException(fn, field(pgno, "lz4.blockChecksum"), "block checksum mismatch");
                }
            }
            blocks++;
        }
        if (produced != pageSize) {
            throw new LtxFormatException(fn, field(pgno, "lz4.block"),
                    "LZ4 frame decompresses to " + produced + " bytes, expected " + pageSize);
        }
        if (contentChecksum) {
            at = src.take(4, field(pgno, "lz4.contentChecksum"));
            int expected = Lz4.XXH32.hash(dst, dstOff, pageSize, 0);
            if (readIntLE(src.array(), at) != expected) {
                throw new LtxFormatException(fn, field(pgno, "lz4.contentChecksum"), "content checksum mismatch");
            }
        }
    }

    static int readIntBE(byte[] a, int i) {
        return ((a[i] & 0xFF) << 24) | ((a[i + 1] & 0xFF) << 16) | ((a[i + 2] & 0xFF) << 8) | (a[i + 3] & 0xFF);
    }

    static long readLongBE(byte[] a, int i) {
        return ((long) readIntBE(a, i) << 32) | (readIntBE(a, i + 4) & 0xFFFFFFFFL);
    }

    static int readIntLE(byte[] a, int i) {
        return (a[i] & 0xFF) | ((a[i + 1] & 0xFF) << 8) | ((a[i + 2] & 0xFF) << 16) | ((a[i + 3] & 0xFF) << 24);
    }

    static void writeIntBE(byte[] a, int i, int v) {
        a[i] = (byte) (v >>> 24);
        a[i + 1] = (byte) (v >>> 16);
        a[i + 2] = (byte) (v >>> 8);
        a[i + 3] = (byte) v;
    }

    static void writeLongBE(byte[] a, int i, long v) {
        writeIntBE(a, i, (int) (v >>> 32));
        writeIntBE(a, i + 4, (int) v);
    }
}
