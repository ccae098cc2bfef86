package dev.ltx4j.replica.file;

import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import dev.ltx4j.replica.internal.FileFailures;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * Maps I/O failures to the replica error types, always naming the path. The JDK types only some errors (permission,
 * missing file, not a directory); the rest arrive as a plain {@link FileSystemException} whose reason is the C
 * library's error text, translated under a non-English locale. So a plain one is classified by looking at the file
 * system (read-only, a path component that is not a directory, a directory the process cannot write), never by its
 * text; what none of those explains is transient (the retry layer tries again, and reports it with the reason).
 */
final class FileErrors {
    private FileErrors() {}

    static ReplicaException map(String op, Path path, IOException e) {
        String what = op + " " + path + ": ";
        // The reason, with the path the JDK names only where it is another one (a parent, a rename's target): NIO's
        // typed exceptions have the bare path as their message ("create directory X: X" before).
        String why = FileFailures.reason(e, path);
        if (e instanceof AccessDeniedException || e instanceof NotDirectoryException) {
            return new ReplicaPermanentException(what + why, e);
        }
        if (e instanceof NoSuchFileException) {
            return new ReplicaNotFoundException(what + why, e);
        }
        if (e instanceof FileAlreadyExistsException f && op.equals("create directory")) {
            // createDirectories: something that is not a directory has the name of the directory or of a parent
            Path taken = f.getFile() == null ? path : path.getFileSystem().getPath(f.getFile());
            String which = taken.equals(path) ? "" : taken + " ";
            return Files.isSymbolicLink(taken) && !Files.exists(taken) // a volume not mounted yet may appear
                    ? new ReplicaTransientException(what + which + "is a symbolic link to a missing directory", e)
                    : new ReplicaPermanentException(what + which + "exists and is not a directory", e);
        }
        if (e instanceof FileSystemException) {
            String state = permanentState(op, path);
            if (state != null) {
                return new ReplicaPermanentException(what + state + " (" + why + ")", e);
            }
        }
        if (e instanceof java.nio.channels.ClosedByInterruptException) {
            return new ReplicaTransientException(what + "interrupted (Thread.interrupt() of the calling thread)", e);
        }
        return new ReplicaTransientException(what + why, e);
    }

    /**
     * What about {@code path} makes the operation fail whatever a retry does, or null: a path component that exists
     * and is not a directory, or (for an operation that changes the replica) a read-only file system or a directory
     * this process may not write.
     */
    static String permanentState(String op, Path path) {
        Path existing = null;
        for (Path p = path.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) || Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    if (Files.isSymbolicLink(p) && !Files.exists(p)) {
                        return null; // a dangling link: its target (a volume not mounted yet) may appear, so retry
                    }
                    return "not a directory: " + p;
                }
                existing = p;
                break;
            }
        }
        if (existing == null || !changes(op)) {
            return null;
        }
        try {
            if (Files.getFileStore(existing).isReadOnly()) {
                return "read-only file system";
            }
        } catch (IOException | RuntimeException ignored) {
            // no answer: the other checks decide
        }
        if (!Files.isWritable(existing)) {
            return "permission denied: " + existing + " is not writable";
        }
        return null;
    }

    private static boolean changes(String op) {
        return op.startsWith("create") || op.startsWith("delete") || op.contains("for delete");
    }
}
