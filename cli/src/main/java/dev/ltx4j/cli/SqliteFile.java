package dev.ltx4j.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Facts read from a SQLite database file's 100-byte header, checked before we copy its pages anywhere. */
record SqliteFile(Path path, int pageSize, long pages) {
    private static final byte[] MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    static SqliteFile inspect(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IOException("database file not found: " + path);
        }
        long size = Files.size(path);
        if (size < 100) {
            throw new IOException(path + " is not a SQLite database: only " + size + " bytes");
        }
        ByteBuffer header = ByteBuffer.allocate(100);
        try (FileChannel ch = FileChannel.open(path)) {
            while (header.hasRemaining() && ch.read(header, header.position()) > 0) {
                // positional reads until the header is full
            }
        }
        byte[] magic = new byte[MAGIC.length];
        header.get(0, magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException(path + " is not a SQLite database: bad header magic");
        }
        int raw = Short.toUnsignedInt(header.getShort(16));
        int pageSize = raw == 1 ? 65536 : raw;
        if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) != 0) {
            throw new IOException(path + ": invalid page size " + raw + " in the SQLite header");
        }
        if (size % pageSize != 0) {
            throw new IOException(path + ": file size " + size + " is not a multiple of the page size " + pageSize
                    + " (truncated or still being written?)");
        }
        long pages = size / pageSize;
        // The header's page count (offset 28) is what SQLite believes when it is valid, i.e. when the
        // version-valid-for number (offset 92) equals the change counter (offset 24). A file cut at a page boundary
        // passes the size check above but holds fewer pages than that.
        long headerPages = Integer.toUnsignedLong(header.getInt(28));
        boolean headerCountValid = headerPages != 0 && header.getInt(92) == header.getInt(24);
        if (headerCountValid && headerPages != pages) {
            throw new IOException(path + ": the SQLite header says the database has " + headerPages + " pages of "
                    + pageSize + " bytes but the file holds " + pages + " (" + size + " bytes): "
                    + (pages < headerPages ? "the file is truncated" : "the file has trailing data")
                    + "; refusing to publish a malformed database");
        }
        requireQuiescent(path);
        return new SqliteFile(path, pageSize, pages);
    }

    /** A hot journal or an un-checkpointed WAL means the main file alone is not the database. */
    private static void requireQuiescent(Path db) throws IOException {
        Path wal = db.resolveSibling(db.getFileName() + "-wal");
        if (Files.exists(wal) && Files.size(wal) > 0) {
            throw new IOException(db + " has a non-empty WAL (" + wal + "); checkpoint it first, e.g. sqlite3 " + db
                    + " 'PRAGMA wal_checkpoint(TRUNCATE)', and stop writers");
        }
        Path journal = db.resolveSibling(db.getFileName() + "-journal");
        if (Files.exists(journal) && Files.size(journal) > 0) {
            throw new IOException(db + " has a rollback journal (" + journal
                    + "): a transaction is in progress or was interrupted; open the database with sqlite3 once to roll it back");
        }
    }
}
