package dev.ltx4j.pagestore.storage;

import java.io.IOException;

/**
 * A write found no space left on the file's file system (ENOSPC, or a disk quota): a typed signal, so callers never
 * match the operating system's (possibly translated) error text. Part of the write may have landed.
 */
public class StorageFullException extends IOException {
    private final String location;
    private final boolean quota;

    public StorageFullException(String location, String message, Throwable cause) {
        this(location, message, cause, false);
    }

    /** @param quota the limit met is a disk quota (EDQUOT), not the file system's free space */
    public StorageFullException(String location, String message, Throwable cause, boolean quota) {
        super(message, cause);
        this.location = location;
        this.quota = quota;
    }

    /** Whether a disk quota (of the user or the directory's project) refused the write, not a full file system. */
    public boolean quota() {
        return quota;
    }

    /** The file (path, or simulated name) whose write failed. */
    public String location() {
        return location;
    }
}
