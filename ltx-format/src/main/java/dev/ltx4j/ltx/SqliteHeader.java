package dev.ltx4j.ltx;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The parts of SQLite's 100-byte database header this project reads: the magic string and the page size. */
public final class SqliteHeader {
    private SqliteHeader() {}

    /** Length of the database header at the start of page 1. */
    public static final int SIZE = 100;

    private static final byte[] MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    /** Whether the 16 bytes at {@code off} are SQLite's header string ("SQLite format 3" and a NUL). */
    public static boolean hasMagic(byte[] b, int off) {
        return b.length - off >= MAGIC.length && Arrays.equals(b, off, off + MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /**
     * The page size the header at {@code off} declares (big-endian bytes 16-17, where 1 means 65536), not
     * validated: check it with {@link Ltx#isValidPageSize} (a power of two from 512 to 65536).
     */
    public static int declaredPageSize(byte[] b, int off) {
        int field = ((b[off + 16] & 0xFF) << 8) | (b[off + 17] & 0xFF);
        return field == 1 ? 65536 : field;
    }
}
