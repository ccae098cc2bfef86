package dev.ltx4j.compaction.internal;

import dev.ltx4j.ltx.LtxSource;
import dev.ltx4j.replica.LtxBody;
import dev.ltx4j.replica.LtxFileInfo;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Local copies of a compaction's inputs and its output, so the merge never holds many remote streams open at once
 * (connection pools are small) and never the whole database in memory: small files stay in memory within a budget,
 * the rest go to temporary files that {@link #close()} deletes.
 */
public final class Spool implements AutoCloseable {
    /** Bytes held in memory across all inputs and the output before spilling to disk. */
    public static final long MEMORY_BUDGET = 32L << 20;

    private final Path directory;
    private final long budget;
    private final List<Path> temporary = new ArrayList<>();
    private long inMemory;

    public Spool(Path directory, long budget) {
        this.directory = directory;
        this.budget = budget;
    }

    /** Downloads {@code file} whole and returns a replayable local source named after it. */
    public LtxSource fetch(ReplicaClient client, LtxFileInfo file) throws IOException {
        String name = file.toString();
        if (file.size() >= 0 && inMemory + file.size() <= budget) {
            byte[] data = client.readRange(file.level(), file.minTxid(), file.maxTxid(), 0, 0);
            inMemory += data.length;
            return LtxSource.ofBytes(name, data);
        }
        Path tmp = newTemp("in");
        try (InputStream in = client.openFile(file.level(), file.minTxid(), file.maxTxid(), 0, 0);
             OutputStream out = Files.newOutputStream(tmp)) {
            in.transferTo(out);
        } catch (ReplicaException e) {
            throw e;
        } catch (IOException e) {
            throw new ReplicaTransientException("download of " + name + " failed: " + e.getMessage(), e);
        }
        return LtxSource.of(name, () -> Files.newInputStream(tmp));
    }

    /** An output stream that stays in memory within the budget and spills to a temporary file beyond it. */
    public Output output() {
        return new Output();
    }

    private Path newTemp(String kind) throws IOException {
        Path tmp = directory == null ? Files.createTempFile("ltx4j-compaction-", "." + kind)
                : Files.createTempFile(directory, "ltx4j-compaction-", "." + kind);
        temporary.add(tmp);
        return tmp;
    }

    @Override
    public void close() {
        for (Path p : temporary) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // Best effort: a leftover temp file is harmless and named ltx4j-compaction-*.
            }
        }
        temporary.clear();
    }

    /** The merged file being written; {@link #body()} once it is complete. */
    public final class Output extends OutputStream {
        private ByteArrayOutputStream memory = new ByteArrayOutputStream(8192);
        private OutputStream file;
        private Path path;
        private long length;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (file == null && inMemory + length + len > budget) {
                path = newTemp("out");
                file = Files.newOutputStream(path);
                memory.writeTo(file);
                memory = null;
            }
            if (file != null) {
                file.write(b, off, len);
            } else {
                memory.write(b, off, len);
            }
            length += len;
        }

        @Override
        public void close() throws IOException {
            if (file != null) {
                file.close();
            }
        }

        /** The bytes written, replayable; call after {@link #close()}. */
        public LtxBody body() throws IOException {
            return file == null ? LtxBody.of(memory.toByteArray()) : LtxBody.of(path);
        }
    }
}
