package dev.ltx4j.pagestore.testkit;

import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.StorageFullException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;

/** An open handle on a {@link MemoryLogStorage} file; dead after a simulated crash. Guarded by the storage monitor. */
final class MemoryLogFile implements LogFile {
    private final MemoryLogStorage storage;
    private final String name;
    private final MemoryInode inode;
    private final long fileEpoch;
    /** A reused file's end as this handle wrote it (its old bytes lie beyond); -1: the file's own size. */
    private long logicalEnd;
    private final long staleEnd;
    private boolean closed;

    MemoryLogFile(MemoryLogStorage storage, String name, MemoryInode inode, long fileEpoch) {
        this(storage, name, inode, fileEpoch, -1, 0);
    }

    MemoryLogFile(MemoryLogStorage storage, String name, MemoryInode inode, long fileEpoch, long logicalEnd,
            long staleEnd) {
        this.storage = storage;
        this.name = name;
        this.inode = inode;
        this.fileEpoch = fileEpoch;
        this.logicalEnd = logicalEnd;
        this.staleEnd = staleEnd;
    }

    /** Where reads and the size stop: what this handle wrote of a reused file, else the file's size. */
    private long end() {
        return logicalEnd >= 0 ? Math.min(logicalEnd, inode.currentSize) : inode.currentSize;
    }

    @Override
    public long staleEnd() {
        return staleEnd;
    }

    private void check() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (fileEpoch != storage.epoch()) {
            throw new IOException("handle to " + name + " did not survive the simulated crash");
        }
    }

    @Override
    public int read(long position, ByteBuffer dst) throws IOException {
        synchronized (storage) {
            check();
            long end = end();
            if (position >= end) {
                return 0;
            }
            int n = (int) Math.min(dst.remaining(), end - position);
            dst.put(inode.current, (int) position, n);
            return n;
        }
    }

    @Override
    public void write(long position, ByteBuffer src) throws IOException {
        synchronized (storage) {
            check();
            storage.mutate(MemoryLogStorage.Operation.WRITE, name);
            int wanted = src.remaining();
            int room = storage.fullDisk().bytesBeforeFull(name, wanted);
            boolean full = room >= 0 && room < wanted;
            byte[] data = new byte[full ? room : wanted];
            src.get(data);
            int end = Math.toIntExact(position + data.length);
            if (end > inode.current.length) {
                inode.current = Arrays.copyOf(inode.current, Math.max(end, inode.current.length * 2));
            }
            if (position > inode.currentSize) {
                Arrays.fill(inode.current, inode.currentSize, (int) position, (byte) 0);
            }
            System.arraycopy(data, 0, inode.current, (int) position, data.length);
            inode.currentSize = Math.max(inode.currentSize, end);
            if (logicalEnd >= 0) {
                logicalEnd = Math.max(logicalEnd, end);
            }
            inode.pending.add(new MemoryInode.PendingWrite(position, data));
            if (full) {
                throw new StorageFullException(storage.describe(name), "simulated full disk: " + room + " of " + wanted
                        + " bytes written at offset " + position + " of " + name, null);
            }
        }
    }

    @Override
    public void force() throws IOException {
        synchronized (storage) {
            check();
            storage.mutate(MemoryLogStorage.Operation.FORCE, name);
            inode.durable = Arrays.copyOf(inode.current, inode.currentSize);
            inode.pending.clear();
        }
    }

    @Override
    public void truncate(long size) throws IOException {
        synchronized (storage) {
            check();
            if (size >= end()) {
                if (size < inode.currentSize) {
                    inode.cut(size); // only a reused file's older bytes: no fault point, as in a new file
                }
                return;
            }
            storage.mutate(MemoryLogStorage.Operation.TRUNCATE, name);
            if (logicalEnd > size) {
                logicalEnd = size;
            }
            inode.cut(size);
        }
    }

    @Override
    public long size() throws IOException {
        synchronized (storage) {
            check();
            return end();
        }
    }

    /** The file's name went to another file: its old bytes go with it, uncut (as on a real disk). */
    @Override
    public void closeReplaced() {
        closed = true;
    }

    /**
     * A clean close of a reused file cuts the old bytes beyond what this handle wrote (unforced, not counted as a
     * mutation; skipped once the storage stopped or crashed).
     */
    @Override
    public void close() {
        synchronized (storage) {
            if (!closed && logicalEnd >= 0 && fileEpoch == storage.epoch() && !storage.stopped()
                    && inode.currentSize > logicalEnd) {
                inode.cut(logicalEnd);
            }
            closed = true;
        }
    }
}
