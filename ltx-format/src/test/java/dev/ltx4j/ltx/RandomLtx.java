package dev.ltx4j.ltx;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/** Generates valid LTX files from a seeded Random. */
final class RandomLtx {
    static final int[] PAGE_SIZES = {512, 1024, 2048, 4096, 8192, 16384, 32768, 65536};

    record Generated(LtxHeader header, Map<Long, byte[]> pages, long post, byte[] bytes, LtxEncodeResult result) {}

    private final Random rnd;

    RandomLtx(long seed) {
        this.rnd = new Random(seed);
    }

    byte[] page(int size) {
        byte[] b = new byte[size];
        switch (rnd.nextInt(4)) {
            case 0 -> { } // zeros
            case 1 -> java.util.Arrays.fill(b, (byte) rnd.nextInt(256));
            case 2 -> rnd.nextBytes(b);
            default -> {
                // runs of random length: compressible but not trivially
                int i = 0;
                while (i < size) {
                    int run = 1 + rnd.nextInt(64);
                    byte v = (byte) rnd.nextInt(256);
                    for (int k = 0; k < run && i < size; k++) {
                        b[i++] = rnd.nextBoolean() ? v : (byte) rnd.nextInt(256);
                    }
                }
            }
        }
        return b;
    }

    Generated next() throws IOException {
        int pageSize = PAGE_SIZES[rnd.nextInt(PAGE_SIZES.length)];
        boolean tracked = rnd.nextBoolean();
        int kind = rnd.nextInt(5);
        long lock = Ltx.lockPgno(pageSize);
        TreeSet<Long> pgnos = new TreeSet<>();
        long commit;
        long min;
        if (kind == 0) { // small snapshot
            commit = rnd.nextInt(pageSize >= 16384 ? 4 : 12);
            if (commit == 0 && !tracked) {
                commit = 1;
            }
            min = 1;
            for (long p = 1; p <= commit; p++) {
                pgnos.add(p);
            }
        } else if (kind == 1 && pageSize == 65536) { // sparse pages around the lock page
            commit = lock + rnd.nextInt(20);
            min = 2 + rnd.nextInt(100);
            for (int i = 0; i < 4; i++) {
                long p = lock - 5 + rnd.nextInt(10);
                if (p != lock && p <= commit) {
                    pgnos.add(p);
                }
            }
        } else if (kind == 2 && tracked) { // deletion file
            commit = 0;
            min = 2 + rnd.nextInt(100);
        } else { // sparse incremental, possibly shrinking (no pages above Commit)
            commit = 1 + rnd.nextInt(pageSize >= 16384 ? 8 : 40);
            min = 2 + rnd.nextInt(1000);
            int count = rnd.nextInt((int) Math.min(commit, 10) + 1);
            for (int i = 0; i < count; i++) {
                pgnos.add(1 + (long) rnd.nextInt((int) commit));
            }
        }
        long max = min + rnd.nextInt(3);
        long pre = !tracked || min == 1 ? 0 : Ltx.CHECKSUM_FLAG | rnd.nextLong();
        LtxHeader h = new LtxHeader(tracked ? 0 : Ltx.HEADER_FLAG_NO_CHECKSUM, pageSize, (int) commit, min, max,
                rnd.nextLong() >>> 20, pre, 0, 0, 0, 0, rnd.nextLong());
        Map<Long, byte[]> pages = new LinkedHashMap<>();
        for (long p : pgnos) {
            pages.put(p, page(pageSize));
        }
        long post;
        if (!tracked) {
            post = 0;
        } else if (commit == 0) {
            post = Ltx.CHECKSUM_FLAG;
        } else if (min == 1) {
            post = TestLtx.rolling(pageSize, pages);
        } else {
            post = Ltx.CHECKSUM_FLAG | rnd.nextLong();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LtxEncoder e = new LtxEncoder(out, h, "generated");
        for (Map.Entry<Long, byte[]> p : pages.entrySet()) {
            e.writePage(p.getKey(), p.getValue(), 0);
        }
        LtxEncodeResult r = e.finish(post);
        return new Generated(h, pages, post, out.toByteArray(), r);
    }
}
