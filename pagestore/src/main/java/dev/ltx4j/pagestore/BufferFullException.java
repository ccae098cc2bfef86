package dev.ltx4j.pagestore;

/**
 * The disk under the write buffer is full (or over quota): the transaction being written failed and its partial
 * records were cut off again (durably), so the buffer holds exactly the commits before it and keeps working; a
 * later commit succeeds once space is freed. Not a {@link BufferFailedException}: no reopen is needed.
 */
public class BufferFullException extends WriteBufferException {
    public BufferFullException(String location, String message, Throwable cause) {
        super(location, message, cause);
    }
}
