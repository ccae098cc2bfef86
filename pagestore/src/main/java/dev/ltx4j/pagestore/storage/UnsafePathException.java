package dev.ltx4j.pagestore.storage;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A local file or directory ltx4j would use is not safe for it: a symbolic link, owned by another user, or
 * writable by group or others. The message names the path and the problem.
 */
public class UnsafePathException extends IOException {
    private final transient Path path;

    public UnsafePathException(Path path, String problem) {
        super("refusing to use " + path + ": it " + problem);
        this.path = path;
    }

    /** The offending path. */
    public Path path() {
        return path;
    }
}
