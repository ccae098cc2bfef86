package dev.ltx4j.pagestore;

import java.io.IOException;

/** A write-buffer failure, naming the buffer file it concerns. */
public class WriteBufferException extends IOException {
    private final String location;

    public WriteBufferException(String location, String message) {
        super(message);
        this.location = location;
    }

    public WriteBufferException(String location, String message, Throwable cause) {
        super(message, cause);
        this.location = location;
    }

    /** The buffer file (path, or simulated name). */
    public String location() {
        return location;
    }
}
