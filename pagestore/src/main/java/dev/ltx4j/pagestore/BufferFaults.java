package dev.ltx4j.pagestore;

/**
 * Fault points of one write buffer, for the simulator's mutation tests: each re-introduces a known bug class so
 * the simulator can prove its oracles catch it. Passed through {@link WriteBufferOptions.Builder#faults}, so two
 * buffers in one process never share them; {@link #NONE} (the default) is the correct behaviour.
 *
 * @param silentDamageTruncation recover a damaged buffer as if its damage were a torn tail: truncate silently
 *                               (the behaviour before the fix)
 * @param keepTornTailAfterFullDisk after a write finds the disk full, go on appending after whatever the failed
 *                               write left instead of cutting it off, so recovery stops at the torn records and
 *                               drops the commits after them
 * @param zeroTailOnReusedFile  recovery ignores that a rewrite reused the file (its header's stale end), so the
 *                               older generation's bytes after the last record written before a crash are reported
 *                               as corruption instead of a torn tail (the behaviour before the fix)
 * @param readPastDurablePrefix after a failure stopped the buffer, let a sync read every committed transaction, also
 *                               those whose commit's force failed (docs/write-buffer-recovery.md, "After a failed
 *                               fsync")
 * @param skipDirectoryEntrySync an open never makes the buffer directory's own entry durable
 *                               ({@code LogStorage.syncDirectoryEntry}): a power cut takes a new directory with every
 *                               commit in it (the behaviour before the fix; docs/write-buffer-recovery.md, "Power cuts")
 */
public record BufferFaults(boolean silentDamageTruncation, boolean keepTornTailAfterFullDisk,
        boolean zeroTailOnReusedFile, boolean readPastDurablePrefix, boolean skipDirectoryEntrySync) {
    /** No fault: the buffer behaves as shipped. */
    public static final BufferFaults NONE = new BufferFaults(false, false, false, false, false);

    public BufferFaults(boolean silentDamageTruncation, boolean keepTornTailAfterFullDisk,
            boolean zeroTailOnReusedFile, boolean readPastDurablePrefix) {
        this(silentDamageTruncation, keepTornTailAfterFullDisk, zeroTailOnReusedFile, readPastDurablePrefix, false);
    }

    public BufferFaults(boolean silentDamageTruncation, boolean keepTornTailAfterFullDisk,
            boolean zeroTailOnReusedFile) {
        this(silentDamageTruncation, keepTornTailAfterFullDisk, zeroTailOnReusedFile, false);
    }

    public BufferFaults(boolean silentDamageTruncation, boolean keepTornTailAfterFullDisk) {
        this(silentDamageTruncation, keepTornTailAfterFullDisk, false);
    }

    public BufferFaults(boolean silentDamageTruncation) {
        this(silentDamageTruncation, false, false);
    }
}
