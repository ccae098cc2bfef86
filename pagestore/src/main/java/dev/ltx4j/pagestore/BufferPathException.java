package dev.ltx4j.pagestore;

/** The buffer path cannot be used: missing or non-directory parent, or no permission. */
public class BufferPathException extends WriteBufferException {
    public BufferPathException(String location, String message, Throwable cause) {
        super(location, message, cause);
    }

    /**
     * Said when an existing buffer cannot be opened for writing (its disk mounted or remounted read-only: the kernel
     * does that after an I/O error; or its file made immutable): its unsynced transactions are not lost, and a copy
     * on a writable disk opens and uploads them (docs/field-probes.md, round 5).
     */
    public static String keptTransactionsAdvice(java.nio.file.Path buffer) {
        return "its unsynced transactions, if any, are still in it: if its disk went read-only (the kernel remounts a"
                + " file system read-only after an I/O error: see dmesg), copy " + buffer + " to a writable disk and"
                + " open with buffer_path (LITESTREAM_BUFFER_PATH) naming the copy; the next sync uploads them";
    }
}
