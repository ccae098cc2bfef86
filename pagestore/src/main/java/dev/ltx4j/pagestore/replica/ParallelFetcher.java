package dev.ltx4j.pagestore.replica;

import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Streams a large replica file as parallel ranged reads, read-ahead sized to the store's latency (docs/hydration.md):
 * the file is cut into chunks, and as many chunks are kept in flight as it takes to hide the time to first byte
 * behind transfers: {@code 1 + latency * per-stream throughput / chunk}, at least {@link #MIN_PARALLEL} and at
 * most {@link #MAX_PARALLEL}, both measured on every request (moving averages). Chunks come back in order as one
 * stream, so callers (whole-file verification, hydration) decode exactly as from one GET. Small files (two chunks
 * or less) are one request. With a direct executor ({@code Runnable::run}, the simulator) every chunk is fetched
 * inline, in order, deterministically. Thread-safe.
 */
public final class ParallelFetcher {
    /** Bytes per ranged read. */
    public static final int CHUNK = 4 << 20;
    static final int MIN_PARALLEL = 4;
    static final int MAX_PARALLEL = 16;

    private final ReplicaClient client;
    private final Executor executor;
    private final LongSupplier nanos;
    private final int chunk;
    /** Moving averages: time to first byte (ns) and per-stream transfer rate (bytes per ns), 0 until measured. */
    private volatile double latency;
    private volatile double rate;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    public ParallelFetcher(ReplicaClient client, Executor executor, LongSupplier nanos) {
        this(client, executor, nanos, CHUNK);
    }

    /** With chunks of {@code chunk} bytes (tests use small ones). */
    public ParallelFetcher(ReplicaClient client, Executor executor, LongSupplier nanos, int chunk) {
        this.client = Objects.requireNonNull(client, "client");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.nanos = Objects.requireNonNull(nanos, "nanos");
        this.chunk = chunk;
    }

    /** How many chunks are kept in flight now. */
    public int parallelism() {
        double l = latency;
        double r = rate;
        if (l <= 0 || r <= 0) {
            return MIN_PARALLEL;
        }
        long p = 1 + (long) Math.ceil(l * r / chunk);
        return (int) Math.max(MIN_PARALLEL, Math.min(MAX_PARALLEL, p));
    }

    /** Measured time to first byte in milliseconds (0: nothing measured yet). */
    public double latencyMillis() {
        return latency / 1e6;
    }

    /** Ranged reads issued and bytes read. */
    public long requests() {
        return requests.get();
    }

    public long bytes() {
        return bytes.get();
    }

    /** Bytes {@code [offset, offset + length)} of {@code file} as one stream. */
    public InputStream open(RemoteFile file, long offset, long length) throws IOException {
        if (length <= 2L * chunk) {
            requests.incrementAndGet();
            return client.openFile(file.level(), file.minTxid(), file.maxTxid(), offset, length);
        }
        return new Chunks(file, offset, length);
    }

    private byte[] fetch(RemoteFile f, long offset, int len) {
        long t0 = nanos.getAsLong();
        requests.incrementAndGet();
        try (InputStream in = client.openFile(f.level(), f.minTxid(), f.maxTxid(), offset, len)) {
            byte[] out = new byte[len];
            int n = in.read(out, 0, len);
            long t1 = nanos.getAsLong();
            int at = Math.max(0, n);
            while (n >= 0 && at < len) {
                n = in.read(out, at, len - at);
                if (n > 0) {
                    at += n;
                }
            }
            long t2 = nanos.getAsLong();
            bytes.addAndGet(at);
            latency = average(latency, t1 - t0);
            if (t2 > t1 && at > 0) {
                rate = average(rate, (double) at / (t2 - t1));
            }
            return at == len ? out : Arrays.copyOf(out, at); // short: the consumer sees the end early
        } catch (IOException e) {
            throw new CompletionException(e);
        }
    }

    private static double average(double old, double sample) {
        return old <= 0 ? sample : old * 0.8 + sample * 0.2;
    }

    /** The chunks of one range, fetched ahead in parallel, read in order. */
    private final class Chunks extends InputStream {
        private final RemoteFile file;
        private final long end;
        private long next;
        private final ArrayDeque<CompletableFuture<byte[]>> ahead = new ArrayDeque<>();
        private final ArrayDeque<Integer> lengths = new ArrayDeque<>();
        private byte[] current = new byte[0];
        private int pos;
        private boolean shortChunk;

        Chunks(RemoteFile file, long offset, long length) {
            this.file = file;
            this.next = offset;
            this.end = offset + length;
        }

        private void fill() {
            while (ahead.size() < parallelism() && next < end) {
                long off = next;
                int len = (int) Math.min(chunk, end - off);
                next += len;
                lengths.add(len);
                ahead.add(CompletableFuture.supplyAsync(() -> fetch(file, off, len), executor));
            }
        }

        private boolean advance() throws IOException {
            if (shortChunk) {
                return false;
            }
            fill();
            CompletableFuture<byte[]> f = ahead.poll();
            if (f == null) {
                return false;
            }
            int expected = lengths.poll();
            try {
                current = f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading " + file.name());
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof CompletionException ce && ce.getCause() != null) {
                    c = ce.getCause();
                }
                if (c instanceof ReplicaException re) {
                    throw re;
                }
                throw c instanceof IOException io ? io : new IOException("reading " + file.name() + ": " + c, c);
            }
            pos = 0;
            shortChunk = current.length < expected; // a short read ends the stream there: the caller resumes
            if (!shortChunk) {
                fill();
            }
            return current.length > 0;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos >= current.length) {
                if (!advance()) {
                    return -1;
                }
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public void close() {
            for (CompletableFuture<byte[]> f : ahead) {
                f.cancel(false);
            }
            ahead.clear();
            lengths.clear();
        }
    }
}
