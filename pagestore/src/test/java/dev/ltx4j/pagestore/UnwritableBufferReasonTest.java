package dev.ltx4j.pagestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read-only-disk advice at a buffer's open is for a disk that refuses writes (EROFS, EPERM, EACCES) only: too many
 * open files, a link loop, a busy file or a failed copy aside keep their own exception, whose message is the right
 * lead (review of field probes round 5). The disk decides, not the error text, which is translated under a
 * non-English C locale (field probes round 6; the refused case is {@link UnwritableBufferAdviceTest}'s).
 */
class UnwritableBufferReasonTest {
    @TempDir
    Path dir;

    @Test
    void theErrorTextAloneNeverGivesTheReadOnlyDiskAdvice() throws IOException {
        // A writable buffer: whatever the text says (English or German), the disk takes writes, so no advice.
        Path buffer = Files.writeString(dir.resolve("app.buffer"), "x");
        for (FileSystemException other : new FileSystemException[] {
                new FileSystemException(buffer.toString(), null, "Read-only file system"),
                new FileSystemException(buffer.toString(), null, "Die Operation ist nicht erlaubt"),
                new FileSystemException(buffer.toString(), null, "Too many open files"),
                new FileSystemException(buffer.toString(), null, "Too many levels of symbolic links")}) {
            assertThat(BufferOpener.unwritable(buffer, other)).isSameAs(other);
        }
        // A failed copy aside: its own error, with the reason in words (NIO's message is the bare path).
        Path aside = dir.resolve("app.buffer.damaged-1");
        assertThat(BufferOpener.unwritable(buffer, new FileAlreadyExistsException(aside.toString())))
                .isNotInstanceOf(BufferPathException.class).hasMessage(aside + ": already exists")
                .hasCauseInstanceOf(FileAlreadyExistsException.class);
        // A buffer that is not there has no transactions to keep.
        Path missing = dir.resolve("none.buffer");
        FileSystemException rofs = new FileSystemException(missing.toString(), null, "Read-only file system");
        assertThat(BufferOpener.unwritable(missing, rofs)).isSameAs(rofs);
    }

    @Test
    void aPathErrorSaysWhatFailedNotTheExceptionClass() {
        // NIO's typed exceptions carry only the path; the message said "...: java.nio.file.AccessDeniedException: X".
        Path buffer = dir.resolve("app.buffer");
        Path lock = dir.resolve("app.buffer.lock");
        assertThat(BufferPaths.pathError(buffer, new AccessDeniedException(buffer.toString())))
                .hasMessageStartingWith("Permission errors on buffer path " + buffer + ": permission denied; ")
                .hasMessageNotContaining("java.nio");
        assertThat(BufferPaths.pathError(buffer, new NoSuchFileException(lock.toString())))
                .hasMessageStartingWith("Permission errors on buffer path " + buffer + ": no such file or directory: "
                        + lock + "; ");
    }
}
