package dev.ltx4j.pagestore;

/**
 * The buffer holds damage that is not a torn write: a record fails its checksum (or is impossible) although an
 * intact commit record after it vouches that it had been forced to disk. Opening refuses such a buffer and leaves
 * the file unchanged; {@link BufferRecovery#TRUNCATE_DAMAGED} keeps a copy and recovers the committed prefix.
 */
public class BufferDamagedException extends BufferCorruptException {
    private final long offset;
    private final long committedBytesAfter;

    public BufferDamagedException(String location, String message, long offset, long committedBytesAfter) {
        super(location, message);
        this.offset = offset;
        this.committedBytesAfter = committedBytesAfter;
    }

    /** File offset of the first record that does not check. */
    public long offset() {
        return offset;
    }

    /** Bytes from that record to the end of the last intact commit record after it. */
    public long committedBytesAfter() {
        return committedBytesAfter;
    }
}
