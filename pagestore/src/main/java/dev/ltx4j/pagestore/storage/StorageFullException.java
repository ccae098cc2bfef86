package dev.ltx4j.pagestore.storage;

import java.io.IOException;

/**
 * A write found no space left on the file's file system (ENOSPC, or a disk quota): a typed signal, so callers never
 * match the operating system's (possibly translated) error text. Part of the write may have landed.
 */
public class StorageFullException extends IOException {
    private final String location;

    public StorageFullException(String location, String message, Throwable cause) {
        super(message, cause);
        this.location = location;
    }

    /** The file (path, or simulated name) whose write failed. */
    public String location() {
        return location;
    }
}
