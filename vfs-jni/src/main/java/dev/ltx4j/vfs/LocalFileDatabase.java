package dev.ltx4j.vfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

/**
 * A {@link VfsDatabase} that is a plain local SQLite file, read and written through a {@link FileChannel}.
 *
 * <p>For tests of the VFS plumbing only: it has no replica, so {@link #txid()} is {@code 0000000000000000},
 * {@link #lag()} is -1 and {@link #statusJson()} reports {@code "mode":"local-test"}. The file it writes is an
 * ordinary SQLite database that the plain unix VFS opens too. Selected in CLI/python hosts only by
 * {@code LITESTREAM_VFS_TEST_BACKEND=local}; in a JVM, register {@link #opener()} explicitly.
 */
public final class LocalFileDatabase implements VfsDatabase {
    private static final String NO_TXID = "0000000000000000";

    private final Path path;
    private final FileChannel channel;
    private long commits;
    private long rollbacks;

    private LocalFileDatabase(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    /** An opener that serves each database name from the local file of that name. */
    public static DatabaseOpener opener() {
        return (name, options) -> open(Path.of(name), options);
    }

    /** Opens {@code file} as SQLite asks (read-only, or read-write and possibly created). */
    public static LocalFileDatabase open(Path file, OpenOptions options) throws IOException {
        Set<StandardOpenOption> how = EnumSet.of(StandardOpenOption.READ);
        if (!options.readOnly()) how.add(StandardOpenOption.WRITE);
        if (!options.readOnly() && options.create()) how.add(StandardOpenOption.CREATE);
        return new LocalFileDatabase(file, FileChannel.open(file, how));
    }

    @Override
    public int read(ByteBuffer dst, long offset) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, offset + total);
            if (n < 0) break;
            total += n;
        }
        return total;
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        long at = offset;
        while (src.hasRemaining()) at += channel.write(src, at);
    }

    @Override
    public void truncate(long size) throws IOException {
        if (size < channel.size()) channel.truncate(size);
        else if (size > channel.size()) channel.write(ByteBuffer.allocate(1), size - 1);
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public void sync(boolean full) throws IOException {
        channel.force(full);
    }

    @Override
    public void commit() {
        commits++;
    }

    @Override
    public void rollback() {
        rollbacks++;
    }

    @Override
    public String txid() {
        return NO_TXID;
    }

    @Override
    public String time() {
        return "latest";
    }

    @Override
    public long lag() {
        return -1;
    }

    /** Nothing to push: there is no replica. Forces the file to disk and reports TXID 0. */
    @Override
    public String syncNow() throws IOException {
        channel.force(true);
        return NO_TXID;
    }

    @Override
    public String statusJson() {
        return "{\"mode\":\"local-test\",\"path\":" + Json.quote(path.toString()) + ",\"txid\":\"" + NO_TXID
                + "\",\"lag\":-1,\"commits\":" + commits + ",\"rollbacks\":" + rollbacks + "}";
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
