package dev.ltx4j.pagestore;

import dev.ltx4j.pagestore.internal.LogHeader;
import dev.ltx4j.pagestore.storage.LogFile;
import dev.ltx4j.pagestore.storage.LogStorage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.OptionalInt;

/**
 * Reads the page size of an existing write buffer before opening it, so a database whose page size is not known
 * yet (a new database with buffered, unsynced writes) can reopen its buffer with the size it was created with.
 */
public final class BufferProbe {
    private BufferProbe() {}

    /** The page size recorded in buffer {@code name}, or empty when there is no buffer there. */
    public static OptionalInt pageSize(LogStorage storage, String name) throws IOException {
        if (!storage.exists(name)) {
            return OptionalInt.empty();
        }
        byte[] bytes = new byte[LogHeader.SIZE];
        int n;
        try (LogFile f = storage.open(name)) {
            n = f.read(0, ByteBuffer.wrap(bytes));
        }
        String problem = LogHeader.problem(bytes, n);
        if (problem != null) {
            String where = storage.describe(name);
            throw new BufferCorruptException(where, "write buffer " + where + " has an unusable header: " + problem);
        }
        return OptionalInt.of(LogHeader.decode(bytes).pageSize());
    }
}
