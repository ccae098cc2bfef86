package dev.ltx4j.pagestore.storage;

import java.io.IOException;

/** An exclusive storage lock is held by another process or another owner in this process. */
public class StorageLockedException extends IOException {
    private final String location;

    public StorageLockedException(String location, String message) {
        super(message);
        this.location = location;
    }

    /** The lock file (or simulated name) that could not be taken. */
    public String location() {
        return location;
    }
}
