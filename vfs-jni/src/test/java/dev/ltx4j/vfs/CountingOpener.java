package dev.ltx4j.vfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/** Test opener: a {@link LocalFileDatabase} per open, counting every boundary callback, with injectable faults. */
final class CountingOpener implements DatabaseOpener {
    final AtomicInteger opens = new AtomicInteger();
    final AtomicInteger beginWrites = new AtomicInteger();
    final AtomicInteger beforeCommits = new AtomicInteger();
    final AtomicInteger commits = new AtomicInteger();
    final AtomicInteger rollbacks = new AtomicInteger();
    final AtomicInteger endWrites = new AtomicInteger();
    volatile boolean failReads;
    /** Reads past the first page return half the bytes asked for, without an error (W11). */
    volatile boolean shortReads;
    volatile String conflictReason;
    /** How the database classifies its injected read failures for the bridge (null: the default). */
    volatile VfsDatabase.Failure readFailureAs;
    /** Reads past the first page throw an OutOfMemoryError with this message (null: none). */
    volatile String readOom;

    @Override
    public VfsDatabase open(String name, OpenOptions options) throws IOException {
        options.syncInterval(); // validates like an engine would
        opens.incrementAndGet();
        return new Counting(LocalFileDatabase.open(Path.of(name), options));
    }

    private final class Counting implements VfsDatabase {
        private final LocalFileDatabase d;

        Counting(LocalFileDatabase d) {
            this.d = d;
        }

        @Override
        public int read(ByteBuffer dst, long offset) throws IOException {
            if (failReads && offset > 0) throw new IllegalStateException("injected read failure at " + offset);
            String oom = readOom;
            if (oom != null && offset > 0) throw new OutOfMemoryError(oom);
            if (shortReads && offset > 0) {
                int half = dst.remaining() / 2;
                dst.limit(dst.position() + half);
                int n = d.read(dst, offset);
                return Math.min(n, half);
            }
            return d.read(dst, offset);
        }

        @Override
        public Failure classify(Throwable failure) {
            Failure as = readFailureAs;
            return as != null && failure instanceof IllegalStateException ? as : VfsDatabase.super.classify(failure);
        }

        @Override
        public Exception outOfMemory(OutOfMemoryError e) {
            // as the engine adapter does (DirectMemoryException.from): the direct limit only
            if (e.getMessage() == null || !e.getMessage().startsWith("Cannot reserve")) throw e;
            return new IOException("direct memory limit: " + e.getMessage(), e);
        }

        @Override
        public void write(ByteBuffer src, long offset) throws IOException {
            d.write(src, offset);
        }

        @Override
        public void truncate(long size) throws IOException {
            d.truncate(size);
        }

        @Override
        public long size() throws IOException {
            return d.size();
        }

        @Override
        public void sync(boolean full) throws IOException {
            d.sync(full);
        }

        @Override
        public void beginWrite() {
            beginWrites.incrementAndGet();
        }

        @Override
        public void beforeCommit() throws IOException {
            beforeCommits.incrementAndGet();
            String reason = conflictReason;
            if (reason != null) throw new ReplicaConflictException(reason);
        }

        @Override
        public void commit() {
            commits.incrementAndGet();
            d.commit();
        }

        @Override
        public void rollback() {
            rollbacks.incrementAndGet();
            d.rollback();
        }

        @Override
        public void endWrite() {
            endWrites.incrementAndGet();
        }

        @Override
        public String pragma(String name, String value) throws IOException {
            if (name.equals("litestream_echo")) return value == null ? "no value" : value;
            return VfsDatabase.super.pragma(name, value);
        }

        @Override
        public String txid() {
            return d.txid();
        }

        @Override
        public String time() {
            return d.time();
        }

        @Override
        public long lag() {
            return d.lag();
        }

        @Override
        public String syncNow() throws IOException {
            return d.syncNow();
        }

        @Override
        public String statusJson() {
            return d.statusJson();
        }

        @Override
        public void close() throws IOException {
            d.close();
        }
    }
}
