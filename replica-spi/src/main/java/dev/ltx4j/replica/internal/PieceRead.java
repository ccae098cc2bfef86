package dev.ltx4j.replica.internal;

import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * One piece of {@link PrefetchedChain}'s plan read into memory: a whole file or a range, into one array of its listed
 * size, read again after a transient failure for up to the chain's retry time (docs/time-travel.md, "Reading ahead").
 */
final class PieceRead {
    private static final long RETRY_FIRST_WAIT_MILLIS = 200;
    private static final long RETRY_MAX_WAIT_MILLIS = 10_000;
    /** Bytes asked of a stream per read call while filling a piece (see {@link #readSliced}). */
    private static final int SLICE = 128 << 10;

    private PieceRead() {
    }

    /**
     * What a read gave: the bytes (fewer than listed where the object ended), the rest of an object longer than its
     * listing (or null), or the error of the last try.
     */
    record Result(byte[] bytes, InputStream tail, Throwable error) {}

    /**
     * Reads {@code length} bytes (0: to the end) of {@code f} from {@code offset}; {@code listed} is what the piece
     * holds by the listing. Each request counts in {@code requests}, each try after a failure in {@code retries};
     * {@code stillWanted} false stops the retries.
     */
    static Result read(ReplicaClient client, LtxFileInfo f, long offset, long length, long listed, Duration retryFor,
            AtomicLong requests, AtomicLong retries, BooleanSupplier stillWanted) {
        byte[] bytes = null;
        InputStream tail = null;
        Throwable error = null;
        long deadline = System.nanoTime() + retryFor.toNanos();
        long wait = RETRY_FIRST_WAIT_MILLIS;
        while (true) {
            try {
                requests.incrementAndGet();
                InputStream in = client.openFile(f.level(), f.minTxid(), f.maxTxid(), offset, length);
                boolean read = false;
                try {
                    // Into one array of the listed size: readNBytes(len) assembles chunks and copies them, holding
                    // about twice the size at its end, which the budget (listed sizes) would not bound.
                    bytes = new byte[(int) listed];
                    int n = readSliced(in, bytes);
                    if (n < bytes.length) {
                        bytes = Arrays.copyOf(bytes, n); // shorter than listed: the file ends here
                    }
                    int more = length == 0 && n == listed ? in.read() : -1;
                    if (more >= 0) { // longer than listed: the decoder reads the rest from this response
                        tail = new SequenceInputStream(new ByteArrayInputStream(new byte[] {(byte) more}),
                                new BufferedInputStream(in, 1 << 16));
                    }
                    read = true;
                } finally {
                    if (tail == null) {
                        try {
                            in.close();
                        } catch (IOException e) {
                            if (!read) {
                                throw e;
                            } // the bytes are complete: a failing close (a reset on release) costs no retry
                        }
                    }
                }
                return new Result(bytes, tail, null);
            } catch (Throwable t) {
                error = t;
                if (!retryable(t) || System.nanoTime() + wait * 1_000_000 > deadline || !stillWanted.getAsBoolean()) {
                    return new Result(null, null, error);
                }
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Result(null, null, error);
                }
                retries.incrementAndGet();
                wait = Math.min(wait * 2, RETRY_MAX_WAIT_MILLIS);
            }
        }
    }

    /** A transient failure, or a stream cut part way (not found and permanent errors are final). */
    private static boolean retryable(Throwable t) {
        return t instanceof ReplicaTransientException || (t instanceof IOException && !(t instanceof ReplicaException));
    }

    /**
     * Fills {@code into} from {@code in} as {@code readNBytes} would, in calls of at most {@link #SLICE} bytes: a
     * channel-backed stream (the file backend) reads a heap array through a temporary direct buffer as large as the
     * call, cached per thread, so one 4 MiB call on each of 16 fetch threads pinned 64 MiB of native memory per
     * restore (docs/field-probes.md, round 8). Returns the bytes read (fewer at the end of the stream).
     */
    static int readSliced(InputStream in, byte[] into) throws IOException {
        int n = 0;
        while (n < into.length) {
            int r = in.read(into, n, Math.min(SLICE, into.length - n));
            if (r < 0) {
                break;
            }
            n += r;
        }
        return n;
    }
}
