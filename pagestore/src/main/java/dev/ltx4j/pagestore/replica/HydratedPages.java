package dev.ltx4j.pagestore.replica;

import dev.ltx4j.ltx.Crc64;
import dev.ltx4j.ltx.Ltx;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;

/**
 * What a hydrated file holds, page by page: the LTX page checksum of each page written, and which pages are not
 * zeros, so the file's LTX database checksum is known without reading it again. Owned by the hydrator's stepping
 * thread; not thread-safe.
 */
final class HydratedPages {
    private long[] sums = new long[0];
    private final BitSet written = new BitSet();

    long sum(long pgno) {
        return pgno < sums.length ? sums[(int) pgno] : 0;
    }

    boolean written(long pgno) {
        return written.get((int) pgno);
    }

    void wrote(long pgno, long sum) {
        if (pgno >= sums.length) {
            sums = Arrays.copyOf(sums, (int) Math.max(pgno + 1, sums.length * 2L));
        }
        sums[(int) pgno] = sum;
        written.set((int) pgno);
    }

    void zeroed(long pgno) {
        written.clear((int) pgno);
    }

    /** Forgets the pages above {@code commit} (the file was truncated there). */
    void truncate(long commit) {
        if (commit + 1 < written.length()) {
            written.clear((int) commit + 1, written.length());
        }
    }

    void clear() {
        sums = new long[0];
        written.clear();
    }

    /** The LTX database checksum of pages 1..commit (zeros where nothing was written; the lock page excluded). */
    long checksum(int pageSize, long commit) {
        long lockPgno = Ltx.lockPgno(pageSize);
        long acc = 0;
        byte[] zeros = null;
        for (long p = 1; p <= commit; p++) {
            if (p == lockPgno) {
                continue;
            }
            if (written.get((int) p)) {
                acc ^= sums[(int) p];
            } else {
                zeros = zeros == null ? new byte[pageSize] : zeros;
                acc ^= Crc64.pageChecksum(p, zeros, 0, pageSize);
            }
        }
        return Ltx.CHECKSUM_FLAG | acc;
    }

    /** Reads the whole file once, recording every page's checksum; returns the database checksum. */
    long readAll(FileChannel channel, Path path, int ps, long pages) throws IOException {
        clear();
        sums = new long[(int) pages + 1];
        ByteBuffer bb = ByteBuffer.allocate(1 << 20);
        byte[] page = new byte[ps];
        long pos = 0;
        long pgno = 1;
        while (pgno <= pages) {
            bb.clear();
            bb.limit((int) Math.min(bb.capacity(), (pages - pgno + 1) * ps));
            while (bb.hasRemaining()) {
                if (channel.read(bb, pos + bb.position()) < 0) {
                    throw new IOException("hydrated file " + path + " ended early");
                }
            }
            bb.flip();
            while (bb.remaining() >= ps) {
                bb.get(page);
                wrote(pgno, Crc64.pageChecksum(pgno, page, 0, ps));
                pgno++;
                pos += ps;
            }
        }
        return checksum(ps, pages);
    }
}
