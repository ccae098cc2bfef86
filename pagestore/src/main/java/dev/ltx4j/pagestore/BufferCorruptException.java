package dev.ltx4j.pagestore;

/**
 * The buffer file cannot be trusted as a whole (its header is unreadable, or a record the index points to is
 * missing). A damaged tail is not this: recovery truncates it and reports it in {@link RecoveryReport}.
 */
public class BufferCorruptException extends WriteBufferException {
    public BufferCorruptException(String location, String message) {
        super(location, message);
    }
}
