package dev.ltx4j.conformance;

import dev.ltx4j.ltx.Ltx;
import dev.ltx4j.ltx.LtxHeader;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * Bodies for replica tests: a valid 100-byte LTX header (page size 4096, commit 1, {@code NoChecksum} as Litestream
 * writes) followed by deterministic filler. Replica clients must treat everything after the header as opaque.
 */
public final class LtxTestFiles {
    private LtxTestFiles() {}

    /** A body of {@code totalSize} bytes (at least 100) whose filler is derived from {@code seed}. */
    public static byte[] body(long minTxid, long maxTxid, long timestampMillis, int totalSize, long seed) {
        if (totalSize < Ltx.HEADER_SIZE) {
            throw new IllegalArgumentException("an LTX body needs at least " + Ltx.HEADER_SIZE + " bytes: " + totalSize);
        }
        ByteBuffer b = ByteBuffer.allocate(totalSize);
        LtxHeader.of(Ltx.HEADER_FLAG_NO_CHECKSUM, 4096, 1, minTxid, maxTxid, timestampMillis, 0).writeTo(b);
        byte[] filler = new byte[totalSize - Ltx.HEADER_SIZE];
        new SplittableRandom(seed ^ minTxid * 31 ^ maxTxid).nextBytes(filler);
        b.put(filler);
        return b.array();
    }

    /** A 300-byte body with a fixed timestamp. */
    public static byte[] body(long minTxid, long maxTxid) {
        return body(minTxid, maxTxid, 1_700_000_000_123L, 300, 1);
    }
}
