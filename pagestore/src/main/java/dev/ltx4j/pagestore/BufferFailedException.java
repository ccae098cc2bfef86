package dev.ltx4j.pagestore;

/**
 * An earlier write, truncate, force or rename failed, so the on-disk state is uncertain; the buffer refuses all
 * further work. Close it and open it again: recovery then decides which commits survived.
 */
public class BufferFailedException extends WriteBufferException {
    public BufferFailedException(String location, String message, Throwable cause) {
        super(location, message, cause);
    }
}
