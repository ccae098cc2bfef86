package dev.ltx4j.ltx;

/** Constants and small rules of the LTX v3 format (Litestream v0.5.16+). */
public final class Ltx {
    private Ltx() {}

    /** ASCII {@code LTX1}; shared by format versions 1 to 3. */
    public static final int MAGIC = 0x4C545831;
    public static final int HEADER_SIZE = 100;
    public static final int PAGE_HEADER_SIZE = 6;
    public static final int TRAILER_SIZE = 16;
    /** Size of the big-endian index-size field that precedes the trailer. */
    public static final int INDEX_SIZE_FIELD = 8;

    /** Header flag: database checksums are not tracked (Litestream sets it on every file it writes). */
    public static final int HEADER_FLAG_NO_CHECKSUM = 0x00000002;
    public static final int HEADER_FLAG_MASK = HEADER_FLAG_NO_CHECKSUM;

    /** Page header flag: a 4-byte compressed size and an LZ4 block follow (v0.5.16+ writers). */
    public static final int PAGE_FLAG_SIZE = 0x0001;

    /** Bit 63, set on every stored checksum. */
    public static final long CHECKSUM_FLAG = 1L << 63;

    public static final int MIN_PAGE_SIZE = 512;
    public static final int MAX_PAGE_SIZE = 65536;

    public static boolean isValidPageSize(long pageSize) {
        return pageSize >= MIN_PAGE_SIZE && pageSize <= MAX_PAGE_SIZE && (pageSize & (pageSize - 1)) == 0;
    }

    /** The page holding SQLite's 1 GiB lock byte range; never stored in an LTX file. */
    public static long lockPgno(int pageSize) {
        return 0x40000000L / pageSize + 1;
    }

    /** Largest LZ4 block a page of this size may compress to (pierrec's CompressBlockBound). */
    public static int compressBound(int pageSize) {
        return pageSize + pageSize / 255 + 16;
    }
}
