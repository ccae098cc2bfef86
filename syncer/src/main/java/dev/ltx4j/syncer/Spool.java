package dev.ltx4j.syncer;

import dev.ltx4j.replica.LtxBody;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where a sync encodes its LTX file: in memory up to a small limit, then spilled to a temporary file, so the heap
 * never holds a large upload. {@link #body()} replays the bytes for the upload (and any retry); {@link #close()}
 * deletes the temporary file. Not thread-safe.
 */
final class Spool extends OutputStream {
    static final int DEFAULT_MEMORY_LIMIT = 4 << 20;

    private final Path directory;
    private final int memoryLimit;
    private byte[] memory = new byte[64 * 1024];
    private int used;
    private Path file;
    private OutputStream fileOut;
    private long size;

    Spool(Path directory, int memoryLimit) {
        this.directory = directory;
        this.memoryLimit = memoryLimit;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (fileOut == null && used + len > memoryLimit) {
            spill();
        }
        if (fileOut != null) {
            fileOut.write(b, off, len);
        } else {
            if (used + len > memory.length) {
                memory = Arrays.copyOf(memory, Math.min(memoryLimit, Math.max(used + len, memory.length * 2)));
            }
            System.arraycopy(b, off, memory, used, len);
            used += len;
        }
        size += len;
    }

    private void spill() throws IOException {
        Files.createDirectories(directory);
        file = Files.createTempFile(directory, "ltx4j-sync-", ".ltx.tmp");
        fileOut = new BufferedOutputStream(Files.newOutputStream(file), 1 << 18);
        fileOut.write(memory, 0, used);
        memory = null;
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
        return LtxBody.of(Arrays.copyOf(memory, used));
    }

    /** Deletes the temporary file, if any. */
    @Override
    public void close() throws IOException {
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
