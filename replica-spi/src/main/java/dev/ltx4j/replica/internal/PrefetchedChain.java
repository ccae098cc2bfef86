package dev.ltx4j.replica.internal;

import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * The files of a restore plan, read ahead of the restorer (docs/time-travel.md, "Restore to a file"). The plan is cut
 * into pieces: a file of at most {@link Limits#wholeMax()} listed bytes is one piece, read with the one whole-file GET
 * a sequential restore makes; a larger file (a snapshot of gigabytes) is cut into ranged reads of
 * {@link Limits#chunk()} bytes. Up to {@link Limits#ahead()} pieces are requested at once, in plan order, while the
 * pieces held (fetching, fetched, or being read by the restorer) stay within {@link Limits#heldMax()} listed bytes:
 * memory is bounded whatever the file sizes, and no response is ever left open unread (a whole piece is read into
 * one array as it arrives). The restorer still applies and verifies the files in plan order on its own thread; each
 * file reads as one stream, its pieces joined in order and each released as soon as the stream moves past it.
 *
 * <p>A file longer than its listing is held only up to its listed size and the rest streamed from the same response
 * (its last piece asks for everything from its offset); a file shorter than its listing ends where its object ends
 * (the decoder reports it). A file of unknown size (listed 0) is opened when the restorer reaches it. A failed read
 * throws its error when the restorer reaches that piece, so errors name the file as the sequential restore did.
 *
 * <p>With a direct executor ({@code Runnable::run}, the simulator) every piece is fetched inline on the restorer's
 * thread, in plan order, before the restorer needs it: the same requests in the same order on every run.
 */
public final class PrefetchedChain implements AutoCloseable {
    /** Pieces requested ahead of the one being read (the engine's open keeps as many plan reads in flight). */
    public static final int PIECES_AHEAD = 16;
    /** Bytes held at once (listed sizes); an eighth of the heap when that is less. */
    public static final long HELD_BYTES = Math.min(32L << 20, Runtime.getRuntime().maxMemory() / 8);
    /** Files larger than this (listed size) are read in ranged chunks. */
    public static final long WHOLE_FILE_MAX = 8L << 20;
    /** Bytes per ranged read of a large file (as hydration's {@code ParallelFetcher}). */
    public static final int CHUNK = 4 << 20;

    /** How long the command line's restore keeps retrying a piece whose read failed transiently (a network outage). */
    public static final Duration RETRY_FOR = Duration.ofMinutes(2);

    /**
     * @param ahead    pieces requested at once
     * @param heldMax  listed bytes held at once (a single piece larger than this is still read, alone)
     * @param wholeMax files up to this many listed bytes are one whole-file read
     * @param chunk    bytes per ranged read of a larger file; at most a quarter of {@code heldMax} is used, so a small
     *                 budget still keeps several chunks in flight
     * @param retryFor how long a piece whose read failed transiently (not found and permanent errors aside) is read
     *                 again, waiting 200 ms, then twice as long each time up to 10 s; zero: never. The client's own
     *                 retries give up on an unreachable endpoint after seconds, and a restore of gigabytes should
     *                 outlive a short network outage (its ranges are new requests, unlike one long GET's stalled
     *                 connection)
     */
    public record Limits(int ahead, long heldMax, long wholeMax, int chunk, Duration retryFor) {
        public Limits {
            if (ahead < 1 || heldMax < 1 || wholeMax < 0 || chunk < 1 || retryFor.isNegative()) {
                throw new IllegalArgumentException("bad read-ahead limits " + ahead + "/" + heldMax + "/" + wholeMax
                        + "/" + chunk + "/" + retryFor);
            }
        }

        /** Without retries of its own. */
        public Limits(int ahead, long heldMax, long wholeMax, int chunk) {
            this(ahead, heldMax, wholeMax, chunk, Duration.ZERO);
        }

        /** The default sizes, without retries of its own (each piece read once: the simulator's, the checks'). */
        public static Limits defaults() {
            return new Limits(PIECES_AHEAD, HELD_BYTES, WHOLE_FILE_MAX, CHUNK);
        }

        public Limits withRetries(Duration retryFor) {
            return new Limits(ahead, heldMax, wholeMax, chunk, retryFor);
        }
    }

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final ReplicaClient client;
    private final List<LtxFileInfo> plan;
    private final Limits limits;
    private final IntConsumer opened;
    private final Executor executor;
    private final ExecutorService ownPool; // null when the caller's executor is used
    private final Piece[] pieces;
    private final int[] firstPiece; // file i's pieces are [firstPiece[i], firstPiece[i + 1])
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();

    // Guarded by this.
    private int next; // pieces [0, next) were scheduled, streamed or released
    private int outstanding; // pieces fetching or fetched, not yet handed to the restorer
    private long held; // listed bytes of pieces fetching, fetched, or handed and not yet released
    private int taken; // files [0, taken) were opened by the restorer
    private long maxHeld;
    private boolean closed;

    /**
     * With the default limits, retries for {@link #RETRY_FOR}, and a pool of its own (daemon threads, stopped by
     * {@link #close}): the command line's.
     */
    public PrefetchedChain(ReplicaClient client, List<LtxFileInfo> plan, IntConsumer opened) {
        this(client, plan, Limits.defaults().withRetries(RETRY_FOR), null, opened);
    }

    /**
     * @param executor runs the fetches; null: a pool of {@code limits.ahead()} daemon threads of its own
     * @param opened   told the index of each file the restorer opens (progress)
     */
    public PrefetchedChain(ReplicaClient client, List<LtxFileInfo> plan, Limits limits, Executor executor,
            IntConsumer opened) {
        this.client = client;
        this.plan = List.copyOf(plan);
        this.limits = limits;
        this.opened = opened;
        if (executor == null) {
            int id = POOLS.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            ownPool = Executors.newFixedThreadPool(limits.ahead(), r -> {
                Thread t = new Thread(r, "ltx4j-restore-fetch-" + id + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            this.executor = ownPool;
        } else {
            ownPool = null;
            this.executor = executor;
        }
        long chunk = Math.max(1, Math.min(limits.chunk(), limits.heldMax() / 4));
        List<Piece> all = new ArrayList<>();
        firstPiece = new int[this.plan.size() + 1];
        for (int i = 0; i < this.plan.size(); i++) {
            firstPiece[i] = all.size();
            LtxFileInfo f = this.plan.get(i);
            long size = f.size();
            if (size <= 0) {
                all.add(new Piece(i, 0, 0, 0, true)); // unknown size: opened when reached
            } else if (size <= Math.min(limits.wholeMax(), limits.heldMax())) {
                all.add(new Piece(i, 0, 0, size, false));
            } else {
                for (long off = 0; off < size; off += chunk) {
                    long n = Math.min(chunk, size - off);
                    all.add(new Piece(i, off, off + n == size ? 0 : n, n, false));
                }
            }
        }
        firstPiece[this.plan.size()] = all.size();
        pieces = all.toArray(new Piece[0]);
    }

    /** The plan as sources for {@code LtxRestorer.restore}, each named as the file ({@link LtxFileInfo#toString}). */
    public List<LtxSource> sources() {
        synchronized (this) {
            schedule();
        }
        List<LtxSource> out = new ArrayList<>(plan.size());
        for (int i = 0; i < plan.size(); i++) {
            int index = i;
            out.add(LtxSource.of(plan.get(i).toString(), () -> open(index)));
        }
        return out;
    }

    /** Reads sent to the client so far (whole-file, ranged, and the restorer's own opens). */
    public long requests() {
        return requests.get();
    }

    /** Reads of a piece sent again after a transient failure. */
    public long retries() {
        return retries.get();
    }

    /** Whether a failed read of {@code p} is still worth another try (not closed, not skipped by the restorer). */
    private synchronized boolean stillWanted(Piece p) {
        return !closed && p.state == State.FETCHING;
    }

    /** The most listed bytes held at once so far (tests and benchmarks). */
    public synchronized long maxHeldBytes() {
        return maxHeld;
    }

    private enum State { WAITING, FETCHING, FETCHED, FAILED, HANDED, RELEASED }

    private static final class Piece {
        final int file;
        final long offset;
        final long length; // requested length; 0: to the end of the object (a whole file, or a file's last chunk)
        final long listed; // bytes this piece holds by the listing: what it counts against the budget
        final boolean stream;
        State state = State.WAITING;
        byte[] bytes;
        InputStream tail; // the rest of an object longer than its listing, or null
        Throwable error;

        Piece(int file, long offset, long length, long listed, boolean stream) {
            this.file = file;
            this.offset = offset;
            this.length = length;
            this.listed = listed;
            this.stream = stream;
        }
    }

    /** Starts the fetches the window and the byte budget allow, in plan order. Holds the lock. */
    private void schedule() {
        while (!closed && next < pieces.length && outstanding < limits.ahead()) {
            Piece p = pieces[next];
            if (p.state != State.WAITING || p.stream) { // released (skipped), or opened by the restorer when reached
                next++;
                continue;
            }
            if (held > 0 && held + p.listed > limits.heldMax()) {
                return; // resumes when the restorer releases a piece
            }
            start(p);
            next++;
            executor.execute(() -> fetch(p));
        }
    }

    private void start(Piece p) {
        held += p.listed;
        maxHeld = Math.max(maxHeld, held);
        outstanding++;
        p.state = State.FETCHING;
    }

    private void fetch(Piece p) {
        LtxFileInfo f = plan.get(p.file);
        PieceRead.Result r = PieceRead.read(client, f, p.offset, p.length, p.listed, limits.retryFor(), requests,
                retries, () -> stillWanted(p));
        byte[] bytes = r.bytes();
        InputStream tail = r.tail();
        Throwable error = r.error();
        synchronized (this) {
            if (p.state != State.FETCHING || closed) { // released by the restorer (skipped) or closed meanwhile
                if (p.state == State.RELEASED) {
                    held -= p.listed;
                }
                closeQuietly(tail);
                schedule();
                return;
            }
            p.bytes = bytes;
            p.tail = tail;
            p.error = error;
            p.state = error == null ? State.FETCHED : State.FAILED;
            notifyAll();
        }
    }

    /** The restorer's open of file {@code i}: its pieces as one stream, or a fresh read (unknown size, opened again). */
    private InputStream open(int i) throws IOException {
        synchronized (this) {
            checkOpen(plan.get(i));
            if (i < taken || pieces[firstPiece[i]].stream) {
                if (i >= taken) {
                    skipTo(i);
                }
                opened.accept(i);
                return stream(plan.get(i));
            }
            skipTo(i);
            opened.accept(i);
        }
        FileStream in = new FileStream(i);
        try {
            in.advance(); // the first piece now: a failed read fails the open, as a single GET did
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
        return in;
    }

    /** Marks files [taken, i] opened, releasing the pieces of files the restorer skipped. Holds the lock. */
    private void skipTo(int i) {
        for (int k = firstPiece[taken]; k < firstPiece[i]; k++) {
            release(pieces[k]);
        }
        taken = i + 1;
        schedule();
    }

    /** Drops a piece's bytes and its part of the budget (a fetch in flight gives it back when it ends). Holds the lock. */
    private void release(Piece p) {
        switch (p.state) {
            case FETCHED, FAILED -> {
                held -= p.listed;
                outstanding--;
            }
            case HANDED -> held -= p.listed;
            case FETCHING -> outstanding--;
            default -> { }
        }
        closeQuietly(p.tail);
        p.bytes = null;
        p.tail = null;
        p.state = State.RELEASED;
    }

    private void checkOpen(LtxFileInfo f) throws IOException {
        if (closed) {
            throw new IOException("restore of " + f + " stopped: the chain's reads were closed");
        }
    }

    /** Hands piece {@code k} to the restorer, waiting for its fetch (or fetching it here when not started). */
    private Piece take(int k) throws IOException {
        Piece p = pieces[k];
        LtxFileInfo f = plan.get(p.file);
        boolean here = false;
        synchronized (this) {
            checkOpen(f);
            schedule();
            if (p.state == State.WAITING) { // held back by the budget: read it on this thread
                start(p);
                here = true;
            }
        }
        if (here) {
            fetch(p);
        }
        synchronized (this) {
            try {
                while (p.state == State.FETCHING) {
                    wait();
                    checkOpen(f);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("restore interrupted while reading " + f);
            }
            checkOpen(f);
            State was = p.state;
            outstanding--;
            p.state = State.HANDED;
            schedule();
            if (was == State.FAILED) {
                release(p);
                schedule();
                throw rethrow(p.error);
            }
            return p;
        }
    }

    /** One file's pieces read in order; each piece released when the stream moves past it, the rest at close. */
    private final class FileStream extends InputStream {
        private final int file;
        private int k; // the next piece to take
        private Piece current;
        private InputStream in = InputStream.nullInputStream();
        private boolean ended;
        private boolean closedStream;

        FileStream(int file) {
            this.file = file;
            this.k = firstPiece[file];
        }

        /** Moves to the next piece; false at the file's end. */
        private boolean advance() throws IOException {
            if (current != null) {
                boolean shortPiece = current.bytes != null && current.length != 0
                        && current.bytes.length < current.length;
                synchronized (PrefetchedChain.this) {
                    release(current);
                    schedule();
                }
                current = null;
                if (shortPiece) { // the object ended before its listed size: so does the file
                    ended = true;
                }
            }
            if (ended || k >= firstPiece[file + 1]) {
                ended = true;
                return false;
            }
            current = take(k++);
            InputStream head = new ByteArrayInputStream(current.bytes);
            in = current.tail == null ? head : new SequenceInputStream(head, current.tail);
            return true;
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
            while (true) {
                int n = in.read(b, off, len);
                if (n >= 0) {
                    return n;
                }
                if (!advance()) {
                    return -1;
                }
            }
        }

        @Override
        public void close() {
            if (closedStream) {
                return;
            }
            closedStream = true;
            synchronized (PrefetchedChain.this) {
                if (current != null) {
                    release(current);
                    current = null;
                }
                for (int j = k; j < firstPiece[file + 1]; j++) {
                    release(pieces[j]);
                }
                schedule();
            }
        }
    }

    private InputStream stream(LtxFileInfo f) throws IOException {
        requests.incrementAndGet();
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

    static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException e) {
                // the restore is over; nothing reads it
            }
        }
    }

    /** Stops the fetches (interrupting those in flight on its own pool) and drops what is held. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            for (Piece p : pieces) {
                closeQuietly(p.tail);
                p.bytes = null;
                p.tail = null;
            }
            notifyAll();
        }
        if (ownPool != null) {
            ownPool.shutdownNow();
        }
    }
}
