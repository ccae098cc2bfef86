package dev.ltx4j.pagestore;

/**
 * The buffer file cannot be trusted as a whole (its header is unreadable, a record the index points to is missing,
 * or forced records are damaged: {@link BufferDamagedException}). A torn tail from a crash is not this: recovery
 * truncates it and reports it in {@link RecoveryReport}.
 */
public class BufferCorruptException extends WriteBufferException {
    public BufferCorruptException(String location, String message) {
        super(location, message);
    }
}
