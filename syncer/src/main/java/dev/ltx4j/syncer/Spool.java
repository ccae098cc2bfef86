package dev.ltx4j.syncer;

import dev.ltx4j.pagestore.DirectBufferPool;
import dev.ltx4j.pagestore.DirectMemoryException;
import dev.ltx4j.pagestore.storage.SecureFiles;
import dev.ltx4j.replica.LtxBody;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where a sync encodes its LTX file: in memory up to a fixed bound (in small chunks, so growing never copies and
 * no huge array is allocated), then spilled to a temporary file, so the heap never holds more than the bound
 * whatever the size of the upload. Memory first because a temporary file costs real disk writes on journaling
 * file systems (the next fsync of the replica or buffer flushes it too). {@link #body()} replays the bytes for the
 * upload (and any retry); {@link #close()} deletes the temporary file. Not thread-safe.
 *
 * <p>The in-memory chunks come from a {@link Chunks} pool that outlives the spool (one per sync engine) and go back
 * to it on {@link #close()}: a steady write load then encodes every sync into the same few megabytes instead of
 * allocating (and zeroing, and collecting) a new set each time. A body opened after its spool closed fails.
 *
 * <p>Chunks are direct buffers (heap arrays only when direct memory is exhausted): a file replica writes them to
 * its channel as they are ({@link LtxBody#writeTo}, one gathering write), where heap chunks were copied by the JDK
 * into a temporary direct buffer on every write (~0.15 us per page of a sync, docs/sync-cost.md). Filling a direct
 * chunk costs the same copy a heap chunk did.
 */
final class Spool extends OutputStream {
    /** Default in-memory bound: 16 MiB, about 4000 changed 4 KiB pages after compression. */
    static final int DEFAULT_MEMORY_LIMIT = 16 << 20;
    private static final int CHUNK = 256 * 1024;

    private final Path directory;
    private final long memoryLimit;
    private final Chunks pool;
    private final List<ByteBuffer> chunks = new ArrayList<>();
    private boolean closed;
    private int inLast = CHUNK;
    private Path file;
    private OutputStream fileOut;
    private long size;

    Spool(Path directory, long memoryLimit) {
        this(directory, memoryLimit, new Chunks(0));
    }

    /** A spool that takes its chunks from {@code pool} and returns them on {@link #close()}. */
    Spool(Path directory, long memoryLimit, Chunks pool) {
        this.directory = directory;
        this.memoryLimit = memoryLimit;
        this.pool = pool;
    }

    /**
     * Spool chunks kept between syncs, at most {@code maxRetained} of them ({@value #CHUNK} bytes each). At most that
     * many are direct buffers at a time (retained or in use); a sync that needs more gets heap chunks, which are
     * dropped when returned beyond the bound, so direct memory never waits for a collection to be freed (near
     * {@code -XX:MaxDirectMemorySize} the JDK stalls in {@code System.gc} and other direct users fail). Size the
     * bound to the spool's memory limit ({@link #forMemoryLimit}) and steady syncs allocate nothing.
     * {@link #release} (the engine's close) drops the retained chunks. Not thread-safe (one sync at a time uses it).
     */
    static final class Chunks {
        private final int maxRetained;
        private final ArrayList<ByteBuffer> free = new ArrayList<>();
        /** Direct chunks of this pool, retained or in use. */
        private int direct;
        private long allocations;
        private boolean released;

        /**
         * Direct chunks go back to the process's {@link DirectBufferPool} instead of waiting here: an engine keeps
         * none between syncs, so idle databases hold no spool memory (docs/field-probes.md, round 7).
         */
        private final boolean shared;

        Chunks(int maxRetained) {
            this(maxRetained, false);
        }

        private Chunks(int maxRetained, boolean shared) {
            this.maxRetained = maxRetained;
            this.shared = shared;
        }

        /**
         * An engine's pool: up to every chunk a spool of {@code memoryLimit} bytes holds in memory may be direct at a
         * time; between syncs they wait in the process's {@link DirectBufferPool}, shared with the other databases.
         */
        static Chunks forMemoryLimit(long memoryLimit) {
            return new Chunks((int) Math.min(Integer.MAX_VALUE, (memoryLimit + CHUNK - 1) / CHUNK), true);
        }

        /** An empty chunk (position 0, limit {@value #CHUNK}). */
        ByteBuffer take() {
            if (!free.isEmpty()) {
                return free.remove(free.size() - 1).clear();
            }
            if (shared && !released && direct < maxRetained) {
                ByteBuffer idle = DirectBufferPool.takeIdle(CHUNK);
                if (idle != null) {
                    direct++;
                    return idle;
                }
            }
            allocations++;
            if (!released && direct < maxRetained) {
                try {
                    ByteBuffer b = ByteBuffer.allocateDirect(CHUNK);
                    DirectMemoryException.counted(CHUNK);
                    direct++;
                    return b;
                } catch (OutOfMemoryError e) {
                    if (!DirectMemoryException.isDirectLimit(e)) {
                        throw e; // the heap or native memory: a heap chunk is no way out
                    }
                    // -XX:MaxDirectMemorySize reached (the JDK already tried a collection): the heap still works;
                    // the file replica's write then copies this chunk, as it did before chunks were direct.
                }
            }
            return ByteBuffer.allocate(CHUNK);
        }

        void giveBack(List<ByteBuffer> used) {
            for (ByteBuffer b : used) {
                if (shared) {
                    if (b.isDirect()) {
                        direct--;
                        DirectBufferPool.give(b);
                    }
                } else if (!released && free.size() < maxRetained) {
                    free.add(b);
                } else if (b.isDirect()) {
                    direct--;
                }
            }
        }

        /** Drops the retained chunks; chunks given back later are dropped too (the engine closed). */
        void release() {
            released = true;
            for (ByteBuffer b : free) {
                direct -= b.isDirect() ? 1 : 0;
            }
            free.clear();
        }

        /** Chunks held for the next sync. */
        int retained() {
            return free.size();
        }

        /** Chunks allocated so far (tests: a steady load allocates none). */
        long allocations() {
            return allocations;
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (fileOut == null && size + len > memoryLimit) {
            spill();
        }
        if (fileOut != null) {
            fileOut.write(b, off, len);
        } else {
            int done = 0;
            while (done < len) {
                if (inLast == CHUNK) {
                    chunks.add(pool.take());
                    inLast = 0;
                }
                int n = Math.min(len - done, CHUNK - inLast);
                chunks.get(chunks.size() - 1).put(inLast, b, off + done, n);
                inLast += n;
                done += n;
            }
        }
        size += len;
    }

    private void spill() throws IOException {
        SecureFiles.createMissing(directory);
        file = SecureFiles.createPrivateTempFile(directory, "ltx4j-sync-", ".ltx.tmp");
        FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        fileOut = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 18); // closes the channel
        writeChunks(chunks, inLast, channel);
        pool.giveBack(chunks);
        chunks.clear();
    }

    /** Writes the chunks' bytes (the last one's first {@code last}) to {@code out}; returns how many. */
    private static long writeChunks(List<ByteBuffer> parts, int last, WritableByteChannel out) throws IOException {
        ByteBuffer[] views = new ByteBuffer[parts.size()];
        long total = 0;
        for (int i = 0; i < views.length; i++) {
            // A view per write: the chunk's own position is the spool's, and bodies replay concurrently.
            views[i] = parts.get(i).duplicate().position(0).limit(i == views.length - 1 ? last : CHUNK);
            total += views[i].remaining();
        }
        long done = 0;
        if (out instanceof GatheringByteChannel gathering) {
            while (done < total) {
                done += gathering.write(views);
            }
        } else {
            for (ByteBuffer v : views) {
                while (v.hasRemaining()) {
                    done += out.write(v);
                }
            }
        }
        return done;
    }

    @Override
    public void flush() throws IOException {
        if (fileOut != null) {
            fileOut.flush();
        }
    }

    /** Bytes written so far. */
    long size() {
        return size;
    }

    /** Whether the bytes went to a temporary file. */
    boolean spilled() {
        return file != null;
    }

    /** The bytes written, replayable; call after the last write. */
    LtxBody body() throws IOException {
        if (fileOut != null) {
            fileOut.flush();
            return LtxBody.of(file);
        }
        List<ByteBuffer> parts = List.copyOf(chunks);
        int last = inLast;
        long length = size;
        return new LtxBody() {
            @Override
            public long length() {
                return length;
            }

            @Override
            public InputStream open() {
                checkOpen();
                return new ChunkStream(parts, last);
            }

            @Override
            public long writeTo(WritableByteChannel out) throws IOException {
                checkOpen();
                return writeChunks(parts, last, out);
            }
        };
    }

    private void checkOpen() {
        if (closed) { // its chunks may hold the next sync's bytes by now
            throw new IllegalStateException("the spooled upload body was opened after its spool closed");
        }
    }

    /**
     * Replays the in-memory chunks. {@link #transferTo} hands the target 64 KiB at a time (a heap chunk whole): the
     * inherited version (and {@code SequenceInputStream}'s) copies through an 8 KiB array, one target write per
     * 8 KiB, which for a file replica was one {@code write} system call per 8 KiB of the upload. (The file replica
     * uses {@link LtxBody#writeTo} instead.)
     */
    private static final class ChunkStream extends InputStream {
        private final List<ByteBuffer> parts;
        private final int last;
        private int part;
        private int pos;

        ChunkStream(List<ByteBuffer> parts, int last) {
            this.parts = parts;
            this.last = last;
        }

        private int limit(int i) {
            return i == parts.size() - 1 ? last : CHUNK;
        }

        /** Steps past exhausted chunks; false at the end. */
        private boolean ready() {
            while (part < parts.size() && pos >= limit(part)) {
                part++;
                pos = 0;
            }
            return part < parts.size();
        }

        @Override
        public int read() {
            return ready() ? parts.get(part).get(pos++) & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (!ready()) {
                return -1;
            }
            int n = Math.min(len, limit(part) - pos);
            parts.get(part).get(pos, b, off, n); // absolute: the chunk's position is not this stream's
            pos += n;
            return n;
        }

        @Override
        public int available() {
            return ready() ? limit(part) - pos : 0;
        }

        @Override
        public long transferTo(OutputStream out) throws IOException {
            long n = 0;
            byte[] copy = null;
            while (ready()) {
                ByteBuffer chunk = parts.get(part);
                int len = limit(part) - pos;
                if (chunk.hasArray()) {
                    out.write(chunk.array(), chunk.arrayOffset() + pos, len);
                } else {
                    copy = copy != null ? copy : new byte[Math.min(CHUNK, 64 * 1024)];
                    len = Math.min(len, copy.length);
                    chunk.get(pos, copy, 0, len);
                    out.write(copy, 0, len);
                }
                pos += len;
                n += len;
            }
            return n;
        }
    }

    /** Drops the bytes and deletes the temporary file, if any. */
    @Override
    public void close() throws IOException {
        closed = true;
        pool.giveBack(chunks);
        chunks.clear();
        IOException failure = null;
        if (fileOut != null) {
            try {
                fileOut.close();
            } catch (IOException e) {
                failure = e;
            }
            fileOut = null;
        }
        if (file != null) {
            Files.deleteIfExists(file);
            file = null;
        }
        if (failure != null) {
            throw failure;
        }
    }
}
