package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read-only-disk advice at a buffer's open is for a disk that refuses writes (EROFS, EPERM, EACCES) only: too many
 * open files, a link loop, a busy file or a failed copy aside keep their own exception, whose message is the right
 * lead (review of field probes round 5).
 */
class UnwritableBufferReasonTest {
    @TempDir
    Path dir;

    @Test
    void onlyARefusedWriteGetsTheReadOnlyDiskAdvice() throws IOException {
        Path buffer = Files.writeString(dir.resolve("app.buffer"), "x");
        for (String reason : new String[] {"Read-only file system", "Operation not permitted", "Permission denied"}) {
            assertThat(BufferOpener.unwritable(buffer, new FileSystemException(buffer.toString(), null, reason)))
                    .isInstanceOf(BufferPathException.class).hasMessageContaining(reason)
                    .hasMessageContaining("unsynced transactions, if any, are still in it");
        }
        for (FileSystemException other : new FileSystemException[] {
                new FileSystemException(buffer.toString(), null, "Too many open files"),
                new FileSystemException(buffer.toString(), null, "Too many levels of symbolic links"),
                new FileSystemException(buffer.toString(), null, "Device or resource busy"),
                new FileAlreadyExistsException(dir.resolve("app.buffer.damaged-1").toString())}) {
            assertThat(BufferOpener.unwritable(buffer, other)).isSameAs(other);
        }
        // A buffer that is not there has no transactions to keep.
        Path missing = dir.resolve("none.buffer");
        FileSystemException rofs = new FileSystemException(missing.toString(), null, "Read-only file system");
        assertThat(BufferOpener.unwritable(missing, rofs)).isSameAs(rofs);
    }
}
