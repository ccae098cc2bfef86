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
            throw unusableHeader(storage.describe(name), problem);
        }
        return OptionalInt.of(LogHeader.decode(bytes).pageSize());
    }

    /**
     * The refusal of a buffer whose header is unusable. A file that is no write buffer at all (another file, say the
     * application's database, named as the buffer path) must not be moved aside on our advice.
     */
    static BufferCorruptException unusableHeader(String where, String problem) {
        String advice;
        if (problem.startsWith("bad magic")) {
            advice = "check the buffer path (LITESTREAM_BUFFER_PATH, buffer_path): it must name a file of its own";
        } else if (problem.startsWith("file is 0 bytes")) {
            // Refused, not replaced: a buffer is created whole under another name and renamed in, so an empty one
            // lost what it held; but mktemp and touch make empty files too.
            advice = "ltx4j creates the buffer itself: if you made this empty file (mktemp, touch, a mounted file),"
                    + " delete it or name a path that does not exist yet; if it was a buffer, its contents are lost"
                    + " and deleting it starts a new buffer from the replica";
        } else if (newerVersion(problem)) {
            // A newer ltx4j's buffer is intact and may hold unsynced commits: moving it aside would strand them
            // (field-probes.md, round 7).
            advice = "it was written by a newer ltx4j and may hold unsynced transactions: open the database with that"
                    + " version again so it syncs them (its last connection's close syncs), then this version starts"
                    + " a new buffer; do not move it aside or delete it before that";
        } else {
            advice = "move it aside to start a new buffer (its unsynced writes cannot be trusted)";
        }
        return new BufferCorruptException(where, "write buffer " + where + " has an unusable header: " + problem
                + "; " + advice);
    }

    /** Whether {@code problem} names a format version above this build's: 0 or a negative one no ltx4j wrote. */
    private static boolean newerVersion(String problem) {
        String prefix = "unsupported format version ";
        if (!problem.startsWith(prefix)) {
            return false;
        }
        int end = problem.indexOf(' ', prefix.length());
        try {
            return Integer.parseInt(problem.substring(prefix.length(), end < 0 ? problem.length() : end))
                    > dev.ltx4j.pagestore.internal.LogHeader.VERSION;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
