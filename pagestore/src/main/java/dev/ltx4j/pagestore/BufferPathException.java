package dev.ltx4j.pagestore;

/** The buffer path cannot be used: missing or non-directory parent, or no permission. */
public class BufferPathException extends WriteBufferException {
    public BufferPathException(String location, String message, Throwable cause) {
        super(location, message, cause);
    }
}
