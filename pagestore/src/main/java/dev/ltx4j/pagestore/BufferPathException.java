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

    /**
     * A warning when {@code buffer}'s directory is writable by every user without the sticky bit (which limits
     * deletes and renames to an entry's owner), or null: another local user could delete or rename the buffer. Only a
     * warning, logged once per open (field probes, round 5): the root of a Kubernetes emptyDir, CIFS/SMB and vfat
     * mounts with dir_mode=0777, WSL drvfs are 777, and refusing would strand a buffer's unsynced transactions.
     */
    public static String sharedDirectoryWarning(java.nio.file.Path buffer) {
        java.nio.file.Path dir = buffer.getParent();
        int mode;
        try {
            mode = (Integer) java.nio.file.Files.getAttribute(dir, "unix:mode");
        } catch (java.io.IOException | RuntimeException e) {
            return null; // no POSIX modes here (Windows, an in-memory file system)
        }
        if ((mode & 0002) == 0 || (mode & 01000) != 0) {
            return null;
        }
        return "buffer path " + buffer + ": its directory " + dir + " is writable by every user and has no sticky"
                + " bit, so another local user could delete or rename the buffer and its unsynced transactions; make"
                + " it writable only by you (chmod o-w " + dir + ") or sticky (chmod +t " + dir + "), or use another"
                + " directory";
    }
}
