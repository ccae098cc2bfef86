package dev.ltx4j.pagestore;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.SplittableRandom;

final class TestSupport {
    private TestSupport() {}

    static final String NAME = "db.buffer";

    static WriteBufferOptions options(int pageSize, Durability durability, long seed) {
        return WriteBufferOptions.builder()
                .pageSize(pageSize)
                .durability(durability)
                .stagingBytes(8192)
                .clock(Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC))
                .random(() -> new SplittableRandom(seed))
                .build();
    }

    static WriteBufferOptions options(int pageSize, Durability durability, long seed, BufferBase base) {
        return WriteBufferOptions.builder()
                .pageSize(pageSize)
                .durability(durability)
                .stagingBytes(8192)
                .initialBase(base)
                .clock(Clock.fixed(Instant.ofEpochMilli(1_700_000_000_000L), ZoneOffset.UTC))
                .random(() -> new SplittableRandom(seed))
                .build();
    }

    static byte[] page(int pageSize, int fill) {
        byte[] p = new byte[pageSize];
        java.util.Arrays.fill(p, (byte) fill);
        return p;
    }

    static long commit(WriteBuffer buffer, int fillBase, long[] pgnos, int fill) throws Exception {
        try (WriteTransaction tx = buffer.begin()) {
            for (long p : pgnos) {
                tx.writePage(p, page(buffer.pageSize(), fill));
            }
            return tx.commit(Math.max(buffer.commitSize(), fillBase));
        }
    }
}
