package dev.ltx4j.ltx;

/** Transaction IDs are unsigned 64-bit values written as 16 lowercase hex digits. */
public final class Txid {
    private Txid() {}

    public static String format(long txid) {
        String hex = Long.toHexString(txid);
        return "0000000000000000".substring(hex.length()) + hex;
    }

    /** Parses 16 hex digits (either case, as Go's ParseTXID does). */
    public static long parse(String text) {
        if (text == null || text.length() != 16) {
            throw new IllegalArgumentException("invalid formatted transaction id length: \"" + text + "\"");
        }
        try {
            return Long.parseUnsignedLong(text, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid transaction id format: \"" + text + "\"", e);
        }
    }

    public static int compare(long a, long b) {
        return Long.compareUnsigned(a, b);
    }

    /** The larger of two TXIDs in unsigned order (a TXID above 2^63-1 is a negative long). */
    public static long max(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    /** The smaller of two TXIDs in unsigned order. */
    public static long min(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }

    /**
     * A key whose signed order is the TXIDs' unsigned order (for sorted arrays, binary searches and range minimums
     * over TXIDs); {@link #fromOrderKey} maps it back.
     */
    public static long orderKey(long txid) {
        return txid ^ Long.MIN_VALUE;
    }

    public static long fromOrderKey(long key) {
        return key ^ Long.MIN_VALUE;
    }
}
