package dev.ltx4j.replica.internal;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * Says what went wrong in an NIO file exception. The JDK's typed exceptions ({@link AccessDeniedException},
 * {@link NoSuchFileException}, ...) usually carry no reason, so their message is the bare path ("create directory
 * /r/ltx/0: /r/ltx/0"); an untyped {@link FileSystemException} carries the C library's error text (translated under
 * a non-English locale, so it is shown, never matched).
 */
public final class FileFailures {
    private FileFailures() {}

    /** Why {@code e} failed, without its path: "permission denied", "No space left on device", ... */
    public static String reason(IOException e) {
        String typed = e instanceof AccessDeniedException ? "permission denied"
                : e instanceof NoSuchFileException ? "no such file or directory"
                : e instanceof NotDirectoryException ? "not a directory"
                : e instanceof FileAlreadyExistsException ? "already exists"
                : e instanceof DirectoryNotEmptyException ? "directory not empty"
                : null;
        if (e instanceof FileSystemException f) {
            String text = f.getReason();
            if (typed == null) { // EMFILE among them: the limit is named when the process is at it
                return OpenFileLimit.withLimit(text != null && !text.isBlank() ? text : f.getClass().getSimpleName(),
                        e);
            }
            return text == null || text.isBlank() ? typed : typed + " (" + text + ")";
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /**
     * {@link #reason} followed by the paths the exception names that are not {@code subject} (a parent that refused,
     * a rename's other end), so a message that already names {@code subject} names it once.
     */
    public static String reason(IOException e, Path subject) {
        String why = reason(e);
        if (!(e instanceof FileSystemException f)) {
            return why;
        }
        String s = subject == null ? null : subject.toString();
        StringBuilder b = new StringBuilder(why);
        if (f.getFile() != null && !f.getFile().equals(s)) {
            b.append(": ").append(f.getFile());
        }
        if (f.getOtherFile() != null && !f.getOtherFile().equals(s)) {
            b.append(f.getFile() != null && !f.getFile().equals(s) ? " -> " : ": ").append(f.getOtherFile());
        }
        return b.toString();
    }

    /** The paths and the reason: "/b/db.buffer: permission denied" (for messages that name no path themselves). */
    public static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + reason(e);
        }
        return reason(e);
    }
}
