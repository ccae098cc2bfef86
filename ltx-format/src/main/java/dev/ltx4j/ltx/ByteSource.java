package dev.ltx4j.ltx;

import java.io.IOException;
import java.io.InputStream;

/**
 * Sequential bytes with a bounded look-ahead window. {@link #take} hands out a contiguous run of bytes inside
 * {@link #array()}; the run stays valid until the next call. Callers always bound {@code n} before asking, so
 * no length read from a file drives an allocation here.
 */
abstract class ByteSource {
    protected final String fileName;
    /** True when the input starts at the file's first byte, so {@link #position()} is a file offset. */
    private final boolean wholeFile;

    ByteSource(String fileName, boolean wholeFile) {
        this.fileName = fileName;
        this.wholeFile = wholeFile;
    }

    /** Consumes {@code n} bytes and returns their offset in {@link #array()}; a short input is a format error. */
    final int take(int n, String field) throws IOException {
        int at = tryTake(n);
        if (at < 0) {
            throw truncated(field, n);
        }
        return at;
    }

    /**
     * As {@link #take(int, String)} for the field named {@code prefix + number + suffix}, a name built only if
     * the input is short, so the per-page hot path allocates no strings.
     */
    final int take(int n, String prefix, long number, String suffix) throws IOException {
        int at = tryTake(n);
        if (at < 0) {
            throw truncated(prefix + number + suffix, n);
        }
        return at;
    }

    /** Consumes {@code n} bytes and returns their offset, or -1 (consuming nothing) if the input ends first. */
    protected abstract int tryTake(int n) throws IOException;

    abstract byte[] array();

    /**
     * Keeps the bytes from the next one on in {@link #array()} until {@link #unmark()}, contiguous, so a caller can
     * hash a run of consumed fields in one call ({@link #marked()} gives where they start now). Callers keep the
     * marked span plus any one request within {@link OfStream#CAPACITY}.
     */
    abstract void mark();

    /** The current offset in {@link #array()} of the marked byte (the buffer may have moved since {@link #mark()}). */
    abstract int marked();

    abstract void unmark();

    /** The offset in {@link #array()} of the next byte to consume. */
    abstract int next();

    /** Bytes from {@link #next()} on already in {@link #array()} (a {@link #take} of that many reads nothing). */
    abstract int buffered();

    /** Bytes consumed so far (the file offset of the next byte). */
    abstract long position();

    /** True when no byte follows the consumed ones. */
    abstract boolean atEnd() throws IOException;

    protected LtxFormatException truncated(String field, int n) {
        // Here the input ended: what is left after the position is all there is, so their sum is its real size.
        long size = position() + buffered();
        if (!wholeFile) {
            // A region (a page index, one page frame): its offsets are not the file's, nor is its end the file's.
            return new LtxFormatException(fileName, field, "truncated: the " + n + "-byte field at offset "
                    + position() + " of a " + size + "-byte part of the file runs past that part's end: the file was"
                    + " cut short (a partial copy or upload?) or its header or page index is damaged");
        }
        return new LtxFormatException(fileName, field, "truncated: the file ends at byte " + size
                + ", inside the " + n + "-byte field at offset " + position() + ": it was cut short"
                + " (a partial copy or upload?) or its header or page index is damaged");
    }

    /** Reads an unsigned LEB128 varint of at most 10 bytes (Go {@code binary.Uvarint}). */
    long uvarint(String field) throws IOException {
        long value = 0;
        for (int i = 0; i < 10; i++) {
            int b = array()[take(1, field)] & 0xFF;
            if (i == 9 && b > 1) {
                throw new LtxFormatException(fileName, field, "varint overflows a 64-bit integer");
            }
            value |= (long) (b & 0x7F) << (7 * i);
            if (b < 0x80) {
                return value;
            }
        }
        throw new LtxFormatException(fileName, field, "varint overflows a 64-bit integer");
    }

    static final class OfArray extends ByteSource {
        private final byte[] data;
        private final int start;
        private final int end;
        private int pos;
        private int mark;

        /** {@code wholeFile}: {@code data[off]} is the file's first byte (else a region: a page index, a frame). */
        OfArray(byte[] data, int off, int len, String fileName, boolean wholeFile) {
            super(fileName, wholeFile);
            this.data = data;
            this.start = off;
            this.pos = off;
            this.end = off + len;
        }

        @Override
        protected int tryTake(int n) {
            if (end - pos < n) {
                return -1;
            }
            int at = pos;
            pos += n;
            return at;
        }

        @Override
        byte[] array() {
            return data;
        }

        @Override
        void mark() {
            mark = pos;
        }

        @Override
        int marked() {
            return mark;
        }

        @Override
        void unmark() {
            // nothing moves in an array
        }

        @Override
        int next() {
            return pos;
        }

        @Override
        int buffered() {
            return end - pos;
        }

        @Override
        long position() {
            return pos - start;
        }

        @Override
        boolean atEnd() {
            return pos == end;
        }
    }

    static final class OfStream extends ByteSource {
        /** Large enough for the biggest bounded run: one LZ4 block of a 64 KiB page (plus a marked frame header). */
        static final int CAPACITY = 1 << 17;
        /**
         * The buffer a file longer than the first one grows to: it is refilled with fewer reads, and moving the
         * unread tail to the front before a refill (at most one frame) happens four times less often.
         */
        static final int STEADY = 1 << 16;
        private final InputStream in;
        /** Starts small (most LTX files are a few KiB), grows to STEADY for a longer file, to CAPACITY for a long run. */
        private byte[] buf = new byte[16 * 1024];
        private int pos;
        private int lim;
        private long base;
        private boolean eof;
        /** Offset of the first byte to keep, or -1. */
        private int mark = -1;

        OfStream(InputStream in, String fileName) {
            super(fileName, true); // LtxDecoder's stream: the file from its first byte
            this.in = in;
        }

        @Override
        protected int tryTake(int n) throws IOException {
            if (lim - pos < n && !fill(n)) {
                return -1;
            }
            int at = pos;
            pos += n;
            return at;
        }

        /** Makes {@code n} bytes available from {@code pos}; false if the stream ends first. */
        private boolean fill(int n) throws IOException {
            int keep = mark >= 0 ? mark : pos;
            int need = pos - keep + n;
            if (need > CAPACITY) {
                throw new IllegalStateException("look-ahead request too large: " + need);
            }
            if (keep + need > buf.length) {
                // Move the kept bytes to the front; a longer file than the first buffer gets a bigger one.
                int size = buf.length;
                if (need > size) {
                    size = need > STEADY ? CAPACITY : STEADY;
                } else if (size < STEADY && !eof) {
                    size = STEADY;
                }
                byte[] to = size == buf.length ? buf : new byte[size];
                System.arraycopy(buf, keep, to, 0, lim - keep);
                buf = to;
                base += keep;
                pos -= keep;
                lim -= keep;
                if (mark >= 0) {
                    mark = 0;
                }
            }
            while (lim - pos < n) {
                int r = eof ? -1 : in.read(buf, lim, buf.length - lim);
                if (r < 0) {
                    eof = true;
                    return false;
                }
                lim += r;
            }
            return true;
        }

        @Override
        byte[] array() {
            return buf;
        }

        @Override
        void mark() {
            mark = pos;
        }

        @Override
        int marked() {
            return mark;
        }

        @Override
        void unmark() {
            mark = -1;
        }

        @Override
        int next() {
            return pos;
        }

        @Override
        int buffered() {
            return lim - pos;
        }

        @Override
        long position() {
            return base + pos;
        }

        @Override
        boolean atEnd() throws IOException {
            if (lim > pos) {
                return false;
            }
            if (eof) {
                return true;
            }
            int r = in.read();
            if (r < 0) {
                eof = true;
                return true;
            }
            return false;
        }
    }
}
