package dev.ltx4j.ltx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded structural mutations of a valid LTX file, as a hostile or damaged input brings them: flipped and
 * overwritten bytes, header fields set to edge values (page size, flags, Commit, TXID range, checksums), page
 * headers and LZ4 lengths that lie, page index entries and size fields that lie (also consistently re-encoded),
 * trailers, truncation, extension and splices of other files (field-probes.md, round 7).
 */
final class LtxMutator {
    /** One mutated file and what was done to it (for failure messages and the outcome tally). */
    record Mutation(String kind, String detail, byte[] bytes) {}

    private final Random rnd;
    private final List<byte[]> others;

    LtxMutator(Random rnd, List<byte[]> others) {
        this.rnd = rnd;
        this.others = others;
    }

    /** The layout of a valid file: where its frames, index and trailer are. */
    record Layout(byte[] file, PageIndex index, int indexStart, int indexSize) {
        static Layout of(byte[] file) throws IOException {
            LtxSummary s = TestLtx.decode(file, "layout").summary();
            int indexSize = (int) PageFrames.readLongBE(file, file.length - 24);
            return new Layout(file, s.pageIndex(), file.length - 24 - indexSize, indexSize);
        }
    }

    Mutation mutate(Layout l) {
        int kinds = 13;
        int k = rnd.nextInt(kinds);
        if (k == 12) { // several at once
            Layout cur = l;
            StringBuilder d = new StringBuilder();
            byte[] b = l.file();
            int n = 2 + rnd.nextInt(3);
            int[] layoutFree = {0, 1, 8, 9, 10, 11}; // after the first, the layout no longer describes the bytes
            for (int i = 0; i < n && b.length > 1; i++) {
                int kind = i == 0 ? rnd.nextInt(kinds - 1) : layoutFree[rnd.nextInt(layoutFree.length)];
                Mutation m = one(kind, new Layout(b, cur.index(), cur.indexStart(), cur.indexSize()));
                d.append(m.kind()).append('(').append(m.detail()).append(") ");
                b = m.bytes();
            }
            return new Mutation("multi", d.toString().trim(), b);
        }
        return one(k, l);
    }

    private static final long[] TXIDS = {0, 1, 2, 0x7FFFFFFFFFFFFFFFL, 0x8000000000000000L, -2, -1};
    private static final int[] PAGE_SIZES = {0, 1, 511, 512, 513, 1024, 4096, 65536, 65537, 131072, -1};
    private static final int[] COMMITS = {0, 1, 2, 0x40000, 0x7FFFFFFF, 0x80000000, -1};

    private Mutation one(int k, Layout l) {
        byte[] f = l.file();
        byte[] b = f.clone();
        switch (k) {
            case 0 -> {
                int i = rnd.nextInt(b.length);
                int bit = rnd.nextInt(8);
                b[i] ^= (byte) (1 << bit);
                return new Mutation("flip", "byte " + i + " bit " + bit, b);
            }
            case 1 -> {
                int i = rnd.nextInt(b.length);
                int v = new int[] {0, 0xFF, 0x80, rnd.nextInt(256)}[rnd.nextInt(4)];
                b[i] = (byte) v;
                return new Mutation("byte", "byte " + i + " = " + v, b);
            }
            case 2 -> {
                return header(b);
            }
            case 3 -> {
                if (l.index().size() == 0) {
                    return header(b);
                }
                int e = rnd.nextInt(l.index().size());
                int at = (int) l.index().offset(e);
                if (rnd.nextBoolean()) {
                    long commit = PageFrames.readIntBE(f, 12) & 0xFFFFFFFFL;
                    long[] pgnos = {0, 1, commit, commit + 1, Ltx.lockPgno(PageFrames.readIntBE(f, 8)), 0xFFFFFFFFL,
                            l.index().pgno(e) + 1, l.index().pgno(e) - 1};
                    long p = pgnos[rnd.nextInt(pgnos.length)];
                    PageFrames.writeIntBE(b, at, (int) p);
                    return new Mutation("frame.pgno", "frame " + e + " pgno " + p, b);
                }
                int flags = new int[] {0, 1, 2, 3, 0x8001, 0xFFFF}[rnd.nextInt(6)];
                b[at + 4] = (byte) (flags >>> 8);
                b[at + 5] = (byte) flags;
                return new Mutation("frame.flags", "frame " + e + " flags " + flags, b);
            }
            case 4 -> {
                if (l.index().size() == 0) {
                    return header(b);
                }
                int e = rnd.nextInt(l.index().size());
                int at = (int) l.index().offset(e) + Ltx.PAGE_HEADER_SIZE;
                int flags = ((f[at - 2] & 0xFF) << 8) | (f[at - 1] & 0xFF);
                if (flags == 0) { // legacy frame: lie in the first LZ4 block's size word (after magic, FLG, BD, HC)
                    int word = at + 7;
                    int v = new int[] {0, 1, 0x7FFFFFFF, 0x80000000, -1, 0x80010000, 65536}[rnd.nextInt(7)];
                    b[word] = (byte) v;
                    b[word + 1] = (byte) (v >>> 8);
                    b[word + 2] = (byte) (v >>> 16);
                    b[word + 3] = (byte) (v >>> 24);
                    return new Mutation("lz4.blockSize", "frame " + e + " word " + Integer.toHexString(v), b);
                }
                int real = PageFrames.readIntBE(f, at);
                int[] sizes = {0, 1, real - 1, real + 1, Ltx.compressBound(65536), Ltx.compressBound(65536) + 1,
                        0x7FFFFFFF, -1, real * 2};
                int v = sizes[rnd.nextInt(sizes.length)];
                PageFrames.writeIntBE(b, at, v);
                return new Mutation("compressedSize", "frame " + e + " " + real + " -> " + Integer.toUnsignedString(v), b);
            }
            case 5 -> {
                long real = l.indexSize();
                long[] sizes = {0, 1, real - 1, real + 1, f.length, f.length - 24, 0x7FFFFFFFL, 0xFFFFFFFFL,
                        Long.MAX_VALUE, -1, 1L << 40};
                long v = sizes[rnd.nextInt(sizes.length)];
                PageFrames.writeLongBE(b, f.length - 24, v);
                return new Mutation("index.size", real + " -> " + Long.toUnsignedString(v), b);
            }
            case 6 -> {
                return indexLie(l);
            }
            case 7 -> {
                int i = f.length - 16 + rnd.nextInt(16);
                b[i] ^= (byte) (1 << rnd.nextInt(8));
                return new Mutation("trailer", "byte " + i, b);
            }
            case 8 -> {
                int len = rnd.nextInt(4) == 0 ? f.length - 1 - rnd.nextInt(Math.min(f.length, 40)) : rnd.nextInt(f.length);
                return new Mutation("truncate", "to " + len + " of " + f.length, Arrays.copyOf(b, len));
            }
            case 9 -> {
                int extra = 1 + rnd.nextInt(rnd.nextBoolean() ? 16 : 70000);
                byte[] out = Arrays.copyOf(b, f.length + extra);
                int how = rnd.nextInt(3);
                for (int i = f.length; i < out.length; i++) {
                    out[i] = how == 0 ? 0 : how == 1 ? (byte) rnd.nextInt(256) : f[(i - f.length) % f.length];
                }
                return new Mutation("extend", extra + " bytes, fill " + how, out);
            }
            case 10 -> {
                byte[] o = others.get(rnd.nextInt(others.size()));
                int len = 1 + rnd.nextInt(Math.max(1, Math.min(Math.min(o.length, 600), f.length / 2))); // never a whole other file
                int from = rnd.nextInt(o.length - len + 1);
                int to = rnd.nextInt(Math.max(1, f.length - len + 1));
                byte[] out = b.length >= to + len ? b : Arrays.copyOf(b, to + len);
                System.arraycopy(o, from, out, to, len);
                return new Mutation("splice", len + " bytes from another file's " + from + " at " + to, out);
            }
            default -> { // 11: delete or duplicate a range (frames shift, lengths no longer agree)
                int at = rnd.nextInt(f.length);
                int len = 1 + rnd.nextInt(Math.min(200, f.length - at));
                byte[] out;
                if (rnd.nextBoolean()) {
                    out = new byte[f.length - len];
                    System.arraycopy(f, 0, out, 0, at);
                    System.arraycopy(f, at + len, out, at, f.length - at - len);
                    return new Mutation("delete", len + " at " + at, out);
                }
                out = new byte[f.length + len];
                System.arraycopy(f, 0, out, 0, at + len);
                System.arraycopy(f, at, out, at + len, f.length - at);
                return new Mutation("duplicate", len + " at " + at, out);
            }
        }
    }

    private Mutation header(byte[] b) {
        ByteBuffer h = ByteBuffer.wrap(b);
        switch (rnd.nextInt(7)) {
            case 0 -> {
                int v = PAGE_SIZES[rnd.nextInt(PAGE_SIZES.length)];
                h.putInt(8, v);
                return new Mutation("header.pageSize", Integer.toUnsignedString(v), b);
            }
            case 1 -> {
                int v = new int[] {0, 1, 2, 3, 0x80000002, -1}[rnd.nextInt(6)];
                h.putInt(4, v);
                return new Mutation("header.flags", Integer.toHexString(v), b);
            }
            case 2 -> {
                int v = rnd.nextBoolean() ? COMMITS[rnd.nextInt(COMMITS.length)] : h.getInt(12) + (rnd.nextBoolean() ? 1 : -1);
                h.putInt(12, v);
                return new Mutation("header.commit", Integer.toUnsignedString(v), b);
            }
            case 3 -> {
                long v = TXIDS[rnd.nextInt(TXIDS.length)];
                int at = rnd.nextBoolean() ? 16 : 24;
                h.putLong(at, v);
                return new Mutation(at == 16 ? "header.minTxid" : "header.maxTxid", Long.toUnsignedString(v), b);
            }
            case 4 -> {
                long v = new long[] {0, 1, Ltx.CHECKSUM_FLAG, -1}[rnd.nextInt(4)];
                h.putLong(40, v);
                return new Mutation("header.preApply", Long.toHexString(v), b);
            }
            case 5 -> {
                int at = 48 + 8 * rnd.nextInt(2);
                long v = new long[] {-1, 1, Long.MAX_VALUE}[rnd.nextInt(3)];
                h.putLong(at, v);
                return new Mutation("header.wal", at + " = " + v, b);
            }
            default -> {
                h.putInt(0, new int[] {0, 0x4C545832, 0x53514C69}[rnd.nextInt(3)]);
                return new Mutation("header.magic", "", b);
            }
        }
    }

    /**
     * Re-encodes the page index with one entry's page number, offset or size changed, the size field kept
     * consistent, so only the frames and the file checksum can tell.
     */
    private Mutation indexLie(Layout l) {
        PageIndex idx = l.index();
        byte[] f = l.file();
        if (idx.size() == 0) {
            byte[] b = f.clone();
            b[l.indexStart()] = (byte) 0x81; // terminator turned into a varint continuation
            return new Mutation("index.entry", "terminator", b);
        }
        int e = rnd.nextInt(idx.size());
        int field = rnd.nextInt(3);
        long[] deltas = {1, -1, 1L << 32, 64, 1L << 62};
        long delta = deltas[rnd.nextInt(deltas.length)];
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < idx.size(); i++) {
            long p = idx.pgno(i);
            long o = idx.offset(i);
            long s = idx.frameSize(i);
            if (i == e) {
                if (field == 0) {
                    p += delta;
                } else if (field == 1) {
                    o += delta;
                } else {
                    s += delta;
                }
            }
            uvarint(out, p);
            uvarint(out, o);
            uvarint(out, s);
        }
        out.write(0);
        byte[] index = out.toByteArray();
        byte[] b = new byte[l.indexStart() + index.length + 24];
        System.arraycopy(f, 0, b, 0, l.indexStart());
        System.arraycopy(index, 0, b, l.indexStart(), index.length);
        PageFrames.writeLongBE(b, l.indexStart() + index.length, index.length);
        System.arraycopy(f, f.length - 16, b, b.length - 16, 16);
        return new Mutation("index.entry", "entry " + e + " field " + field + " += " + delta, b);
    }

    private static void uvarint(java.io.ByteArrayOutputStream out, long v) {
        while (Long.compareUnsigned(v, 0x80) >= 0) {
            out.write((int) (v & 0x7F) | 0x80);
            v >>>= 7;
        }
        out.write((int) v);
    }
}
