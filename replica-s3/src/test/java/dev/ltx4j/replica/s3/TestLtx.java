package dev.ltx4j.replica.s3;

import dev.ltx4j.ltx.LtxHeader;
import java.util.Random;

/** Test bodies: a valid 100-byte LTX header followed by seeded pseudo-random bytes (backends treat them as opaque). */
final class TestLtx {
    private TestLtx() {}

    static byte[] body(long min, long max, long timestampMillis, int totalSize, long seed) {
        byte[] header = LtxHeader.of(0, 4096, 1, min, max, timestampMillis, 0).toBytes();
        byte[] out = new byte[Math.max(totalSize, header.length)];
        new Random(seed).nextBytes(out);
        System.arraycopy(header, 0, out, 0, header.length);
        return out;
    }
}
