package dev.ltx4j.cli;

import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The files of a restore plan, read ahead of the restorer (docs/time-travel.md, "Restore to a file"): up to
 * {@link #FILES_AHEAD} files past the one being applied are requested at once, each with the one whole-file GET the
 * sequential restore made, so a chain of thousands of small files costs about its file count / 16 round trips
 * instead of one per file. The restorer still applies (and verifies) the files in plan order on its own thread.
 *
 * <p>Memory is bounded: only files of at most {@link #WHOLE_FILE_MAX} listed bytes (and at most the budget) are read
 * ahead into memory, and only while the files held (fetching, fetched or being applied) stay within
 * {@link #HELD_BYTES} (32 MiB, or an eighth of a smaller heap's maximum). Larger files
 * (a snapshot of gigabytes) are opened when the restorer reaches them and streamed as before; the small files after
 * them are fetched meanwhile. A file whose object is longer than its listing is held only up to its listed size and
 * the rest streamed from the same response. A fetch that failed throws its error when the restorer reaches that
 * file, so errors and the file they name are the sequential restore's.
 */
final class PrefetchedChain implements AutoCloseable {
    /** Files requested ahead of the one being applied (the engine's open keeps as many plan reads in flight). */
    static final int FILES_AHEAD = 16;
    /** Bytes of read-ahead files held at once (listed sizes); an eighth of the heap when that is less. */
    static final long HELD_BYTES = Math.min(32L << 20, Runtime.getRuntime().maxMemory() / 8);
    /** Files larger than this (listed size) are streamed when reached, never held. */
    static final long WHOLE_FILE_MAX = 8L << 20;

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final ReplicaClient client;
    private final List<LtxFileInfo> plan;
    private final int ahead;
    private final long heldMax;
    private final long wholeMax;
    private final IntConsumer opened;
    private final ExecutorService pool;
    private final Slot[] slots;

    // Guarded by this.
    private int scheduled; // files [0, scheduled) were fetched, are fetching, or will be streamed
    private int taken; // files [0, taken) were handed to the restorer
    private long held; // listed bytes of files fetching or fetched and not yet closed by the restorer
    private boolean closed;

    /**
     * @param opened told the index of each file the restorer opens (progress)
     */
    PrefetchedChain(ReplicaClient client, List<LtxFileInfo> plan, int ahead, long heldMax, long wholeMax,
            IntConsumer opened) {
        this.client = client;
        this.plan = List.copyOf(plan);
        this.ahead = Math.max(1, ahead);
        this.heldMax = heldMax;
        this.wholeMax = Math.min(wholeMax, heldMax);
        this.opened = opened;
        int id = POOLS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(this.ahead, r -> {
            Thread t = new Thread(r, "ltx4j-restore-fetch-" + id + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.slots = new Slot[this.plan.size()];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(this.plan.get(i));
        }
    }

    PrefetchedChain(ReplicaClient client, List<LtxFileInfo> plan, IntConsumer opened) {
        this(client, plan, FILES_AHEAD, HELD_BYTES, WHOLE_FILE_MAX, opened);
    }

    /** The plan as sources for {@code LtxRestorer.restore}, each named as the file ({@link LtxFileInfo#toString}). */
    List<LtxSource> sources() {
        synchronized (this) {
            schedule();
        }
        List<LtxSource> out = new ArrayList<>(slots.length);
        for (int i = 0; i < slots.length; i++) {
            int index = i;
            out.add(LtxSource.of(plan.get(i).toString(), () -> open(index)));
        }
        return out;
    }

    private enum State { WAITING, STREAM, FETCHING, FETCHED, FAILED, TAKEN }

    private static final class Slot {
        final LtxFileInfo info;
        State state = State.WAITING;
        byte[] bytes;
        InputStream tail; // the rest of an object longer than its listing, or null
        Throwable error;

        Slot(LtxFileInfo info) {
            this.info = info;
        }
    }

    /** Starts the fetches the window and the byte budget allow, in plan order. Holds the lock. */
    private void schedule() {
        while (!closed && scheduled < slots.length && scheduled < taken + ahead) {
            Slot s = slots[scheduled];
            if (s.state != State.WAITING) { // taken before its turn came (opened ahead of the budget)
                scheduled++;
                continue;
            }
            long size = s.info.size();
            if (size <= 0 || size > wholeMax) {
                s.state = State.STREAM; // opened by the restorer when it gets there
                scheduled++;
                continue;
            }
            if (held > 0 && held + size > heldMax) {
                return; // resumes when the restorer closes a held file
            }
            held += size;
            s.state = State.FETCHING;
            scheduled++;
            pool.execute(() -> fetch(s));
        }
    }

    private void fetch(Slot s) {
        byte[] bytes = null;
        InputStream tail = null;
        Throwable error = null;
        try {
            InputStream in = client.openFile(s.info.level(), s.info.minTxid(), s.info.maxTxid(), 0, 0);
            try {
                // Into one array of the listed size: readNBytes(len) assembles chunks and copies them, holding about
                // twice the size at its end, which HELD_BYTES (listed sizes) would not bound.
                bytes = new byte[(int) s.info.size()];
                int n = in.readNBytes(bytes, 0, bytes.length);
                if (n < bytes.length) {
                    bytes = java.util.Arrays.copyOf(bytes, n); // shorter than listed: the decoder reports it
                }
                int more = bytes.length == s.info.size() ? in.read() : -1;
                if (more >= 0) { // longer than listed: the decoder reads the rest from this response
                    tail = new SequenceInputStream(new ByteArrayInputStream(new byte[] {(byte) more}),
                            new BufferedInputStream(in, 1 << 16));
                }
            } finally {
                if (tail == null) {
                    in.close();
                }
            }
        } catch (Throwable t) {
            error = t;
        }
        synchronized (this) {
            if (closed) {
                closeQuietly(tail);
                return;
            }
            if (s.state == State.TAKEN) { // skipped by the restorer while fetching
                held -= s.info.size();
                closeQuietly(tail);
                schedule();
                return;
            }
            s.bytes = bytes;
            s.tail = tail;
            s.error = error;
            s.state = error == null ? State.FETCHED : State.FAILED;
            notifyAll();
        }
    }

    /** The restorer's open of file {@code i}: waits for its fetch, or streams it (large, or opened again). */
    private InputStream open(int i) throws IOException {
        Slot s = slots[i];
        byte[] bytes = null;
        InputStream tail = null;
        synchronized (this) {
            if (closed) {
                throw new IOException("restore of " + s.info + " stopped: the chain's reads were closed");
            }
            if (i >= taken && s.state != State.TAKEN) {
                for (int j = taken; j < i; j++) { // files skipped by the caller: release them
                    release(slots[j]);
                }
                taken = i + 1;
                schedule();
                opened.accept(i);
                if (s.state == State.WAITING) { // held back by the budget with nothing before it held: stream it
                    s.state = State.STREAM;
                }
                try {
                    while (s.state == State.FETCHING) {
                        wait();
                        if (closed) {
                            throw new IOException("restore of " + s.info + " stopped: the chain's reads were closed");
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("restore interrupted while reading " + s.info);
                }
                State was = s.state;
                s.state = State.TAKEN;
                if (was == State.FAILED) {
                    held -= s.info.size();
                    schedule();
                    throw rethrow(s.error);
                }
                if (was == State.FETCHED) {
                    bytes = s.bytes;
                    tail = s.tail;
                    s.bytes = null;
                    s.tail = null;
                }
            }
        }
        if (bytes == null) { // large, or opened a second time: read it now, outside the lock
            return stream(s.info);
        }
        InputStream head = new ByteArrayInputStream(bytes);
        InputStream body = tail == null ? head : new SequenceInputStream(head, tail);
        return new java.io.FilterInputStream(body) {
            private boolean done;

            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    synchronized (PrefetchedChain.this) {
                        if (!done) {
                            done = true;
                            held -= s.info.size();
                            schedule();
                        }
                    }
                }
            }
        };
    }

    /** Drops what a skipped slot holds. Holds the lock. */
    private void release(Slot s) {
        if (s.state == State.FETCHED || s.state == State.FAILED || s.state == State.FETCHING) {
            if (s.state != State.FETCHING) {
                held -= s.info.size();
            }
            closeQuietly(s.tail);
            s.bytes = null;
            s.tail = null;
        }
        s.state = State.TAKEN;
    }

    private InputStream stream(LtxFileInfo f) throws IOException {
        return new BufferedInputStream(client.openFile(f.level(), f.minTxid(), f.maxTxid(), 0, 0), 1 << 16);
    }

    private static IOException rethrow(Throwable t) {
        if (t instanceof IOException e) {
            return e;
        }
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IOException(t);
    }

    private static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException e) {
                // the restore is over; nothing reads it
            }
        }
    }

    /** Stops the fetches (interrupting those in flight) and drops what is held. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            for (Slot s : slots) {
                closeQuietly(s.tail);
                s.bytes = null;
                s.tail = null;
            }
            notifyAll();
        }
        pool.shutdownNow();
    }
}
