package dev.ltx4j.pagestore;

/** Another process (or another open buffer in this process) owns the buffer. */
public class BufferLockedException extends WriteBufferException {
    public BufferLockedException(String location, String message, Throwable cause) {
        super(location, message, cause);
    }
}
