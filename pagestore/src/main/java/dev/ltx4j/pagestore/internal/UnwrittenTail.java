package dev.ltx4j.pagestore.internal;

import dev.ltx4j.pagestore.storage.LogFile;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The recovery scan's torn-tail decision ({@link LogScanner}): whether what follows a record that failed its checksum
 * (or a byte that starts no record) is space this file generation never wrote, so the failure is the last write
 * before a crash, not corruption (docs/write-buffer-recovery.md, "What a torn tail is").
 *
 * <p>Never-written space is zeros (a preallocated or lost extension), and, in a file a rewrite reused
 * ({@link LogHeader#staleEnd()} &gt; 0), also whatever lies below the stale end: an older generation's records, from
 * another salt, which this generation's chain never validates. So a stop inside the stale range is a torn tail when
 * everything from the stale end on is zeros (or there is nothing there); a stop at or beyond it is decided exactly as
 * in a new file. Damage to forced records is not decided here: the scan's witness search (commit records chained
 * from this file's salt that vouch for the failing transaction) runs after every stop, reused file or not.
 */
final class UnwrittenTail {
    private final LogFile file;
    private final long fileSize;
    private final long staleEnd;

    /** @param staleEnd the header's stale end (0: a new file, or the zero-tail rule alone) */
    UnwrittenTail(LogFile file, long fileSize, long staleEnd) {
        this.file = file;
        this.fileSize = fileSize;
        this.staleEnd = staleEnd;
    }

    /** After the complete record {@code [start, end)} that failed its checksum. */
    boolean afterFailedRecord(long start, long end) throws IOException {
        if (start < staleEnd) {
            return zerosFrom(Math.max(end, staleEnd));
        }
        // At least one zero: a failing record that ends the file exactly is not known to be the torn last write.
        return end < fileSize && zerosFrom(end);
    }

    /** From {@code pos}, where a byte starts no record. */
    boolean from(long pos) throws IOException {
        return zerosFrom(pos < staleEnd ? staleEnd : pos);
    }

    /** True when the file holds only zeros from {@code pos} on (or ends before it). */
    private boolean zerosFrom(long pos) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(8192);
        for (long at = pos; at < fileSize; at += chunk.capacity()) {
            chunk.clear();
            int n = file.read(at, chunk);
            for (int i = 0; i < n; i++) {
                if (chunk.get(i) != 0) {
                    return false;
                }
            }
        }
        return true;
    }
}
