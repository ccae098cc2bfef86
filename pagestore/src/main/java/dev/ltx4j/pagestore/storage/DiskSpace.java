package dev.ltx4j.pagestore.storage;

import dev.ltx4j.replica.internal.ErrnoText;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tells a write that failed for want of space (ENOSPC, EDQUOT) from any other I/O error. The JDK gives no type for
 * either, only the C library's error text, which is translated under a non-English locale: so the file system's own
 * free-space figure decides ({@link java.nio.file.FileStore#getUsableSpace()} right after the failure), and the
 * text (English, or the locale's from the C library's catalog: {@link ErrnoText}) is only a fallback (a quota is
 * invisible to the free-space figure).
 *
 * <p><b>The rule.</b> A failed write counts as "disk full" only when the usable space is below what the write still
 * needed: its unwritten bytes rounded up to whole blocks, one more block for an unaligned start, and
 * {@link #METADATA_BLOCKS} for the metadata a file system may allocate on the way (ext4 extent-tree blocks, XFS
 * block-map btree splits). The usable figure is already net of the blocks reserved for root and of ext4's
 * reserved clusters, and includes space promised to delayed allocation, so a file system with that much usable
 * space does not refuse that write for space: whatever else failed (EIO, a stale handle) is reported as an I/O
 * error, not hidden as a full disk that a retry would "fix". A generous margin (the rule of session 8 took any
 * failure with less than the write + 1 MiB free for a full disk) would turn a real I/O error met on a nearly full
 * disk into a retried commit.
 */
public final class DiskSpace {
    /** Blocks of metadata a single write may need beyond its data blocks (extent or block-map tree growth). */
    static final int METADATA_BLOCKS = 16;
    /** The block size assumed when the file system does not say. */
    static final long DEFAULT_BLOCK = 4096;

    /** The usable space of a file system, in bytes. */
    @FunctionalInterface
    interface UsableSpace {
        long bytes() throws IOException;
    }

    private DiskSpace() {}

    /**
     * Whether {@code failure}, thrown by a write of {@code wanted} bytes (those it had not written yet) to a file in
     * {@code directory}, means the disk (or the user's quota) is full.
     */
    public static boolean isOutOfSpace(IOException failure, Path directory, long wanted) {
        long block = DEFAULT_BLOCK;
        try {
            long b = Files.getFileStore(directory).getBlockSize();
            if (b > 0) {
                block = b;
            }
        } catch (IOException | RuntimeException e) {
            // keep the default block size
        }
        // A file system that reports no size gives no figure (FileLogStorage.usableSpace): the text decides.
        return isOutOfSpace(failure, wanted, block,
                () -> FileLogStorage.usableSpace(Files.getFileStore(directory)));
    }

    static boolean isOutOfSpace(IOException failure, long wanted, UsableSpace usable) {
        return isOutOfSpace(failure, wanted, DEFAULT_BLOCK, usable);
    }

    static boolean isOutOfSpace(IOException failure, long wanted, long blockSize, UsableSpace usable) {
        if (failure instanceof ClosedChannelException) {
            return false; // the handle was closed (or interrupted): not a property of the disk
        }
        try {
            if (usable.bytes() < needed(wanted, blockSize)) {
                return true;
            }
        } catch (IOException | RuntimeException e) {
            // no free-space figure: fall back on the text
        }
        return hasFullDiskText(failure);
    }

    /** What a write of {@code wanted} bytes may allocate: its blocks, one for an unaligned start, and metadata. */
    static long needed(long wanted, long blockSize) {
        long blocks = (Math.max(0, wanted) + blockSize - 1) / blockSize + 1 + METADATA_BLOCKS;
        return blocks * blockSize;
    }

    /**
     * The message of a write of {@code wanted} bytes at {@code offset} of {@code file} that {@link #isOutOfSpace} found
     * short of space. A quota (EDQUOT: "Disk quota exceeded", known by its text in English or the locale's language) is not a full disk: the
     * file system may have plenty free, and freeing space elsewhere on it does not help, so it is named as such with
     * what to do (field probes, round 8).
     */
    public static String fullMessage(IOException failure, Path file, long wanted, long offset) {
        if (!hasQuotaText(failure)) {
            return "no space left for " + wanted + " bytes at offset " + offset + " of " + file + ": "
                    + failure.getMessage();
        }
        String free;
        try {
            free = ", though its file system has " + FileLogStorage.usableSpace(Files.getFileStore(file.getParent()))
                    + " bytes free";
        } catch (IOException | RuntimeException e) {
            free = "";
        }
        return "disk quota exceeded writing " + wanted + " bytes at offset " + offset + " of " + file + free
                + ": the disk quota of user " + System.getProperty("user.name") + " (or of the directory's project)"
                + " on that file system is used up (" + failure.getMessage() + "); free space within the quota"
                + " (files this user owns there) or have it raised (see it with quota -s, or xfs_quota -c 'quota -h'"
                + " on XFS; as root setquota or xfs_quota -x -c 'limit ...'), or move the buffer (LITESTREAM_BUFFER_PATH)"
                + " to a file system with room";
    }

    /** The strerror text of EDQUOT (English or the locale's, {@link ErrnoText}), anywhere in the cause chain. */
    public static boolean hasQuotaText(Throwable failure) {
        return ErrnoText.mentions(failure, ErrnoText.Errno.EDQUOT);
    }

    /** The strerror texts of ENOSPC and EDQUOT (English or the locale's), anywhere in the cause chain. */
    public static boolean hasFullDiskText(Throwable failure) {
        return ErrnoText.mentions(failure, ErrnoText.Errno.ENOSPC) || hasQuotaText(failure);
    }
}
