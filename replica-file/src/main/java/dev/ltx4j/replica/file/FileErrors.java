package dev.ltx4j.replica.file;

import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaNotFoundException;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTransientException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/** Maps I/O failures to the replica error types, always naming the path. */
final class FileErrors {
    private FileErrors() {}

    static ReplicaException map(String op, Path path, IOException e) {
        String what = op + " " + path + ": ";
        if (e instanceof AccessDeniedException) {
            return new ReplicaPermanentException(what + "permission denied", e);
        }
        if (e instanceof NoSuchFileException) {
            return new ReplicaNotFoundException(what + "no such file or directory", e);
        }
        if (e instanceof NotDirectoryException) {
            return new ReplicaPermanentException(what + "not a directory", e);
        }
        if (e instanceof FileSystemException fs) {
            String reason = String.valueOf(fs.getReason());
            if (reason.contains("Read-only file system") || reason.contains("Permission denied")
                    || reason.contains("Not a directory") || reason.contains("Operation not permitted")) {
                return new ReplicaPermanentException(what + reason, e);
            }
        }
        if (e instanceof java.nio.channels.ClosedByInterruptException) {
            return new ReplicaTransientException(what + "interrupted (Thread.interrupt() of the calling thread)", e);
        }
        return new ReplicaTransientException(what + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
    }
}
