package dev.ltx4j.ltx;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The temporary file a restore writes before renaming it over its output (docs/time-travel.md, "Restore to a file"):
 * {@code <out>.ltx4j-restore-<digits>.tmp} in the output's directory (a name no user picks, so cleanup never takes a
 * user's {@code app.db.20241206.tmp}), created and locked on one channel (fcntl, released when the process dies) and
 * kept locked until after the rename, so a later restore can tell the file of a killed restore (unlocked) from one
 * being written or renamed (locked).
 */
final class RestoreTemps {
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * The temporary files this process is writing. Another channel on one of them must never be opened and closed
     * here: closing any descriptor of a file drops every fcntl lock the process holds on it.
     */
    private static final Set<Path> OURS = ConcurrentHashMap.newKeySet();
    /** Between the output's name and the digits: marks the file as a restore's own. */
    static final String MARK = ".ltx4j-restore-";

    private RestoreTemps() {
    }

    /** A new temporary file beside {@code out}, open for read and write, locked on that same channel. */
    static Temp create(Path out) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        while (true) {
            Path tmp = dir.resolve(out.getFileName() + MARK + Long.toUnsignedString(RANDOM.nextLong()) + ".tmp");
            FileChannel ch;
            try { // the process's default permissions (umask), as sqlite3 creates files
                ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                continue; // another name
            }
            // Another restore's cleanup deletes only what it holds locked. It may have locked this new, empty file
            // between our open and our lock: then our lock fails, or the name is gone once we hold it; take another.
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (IOException | OverlappingFileLockException e) {
                OURS.add(tmp.toAbsolutePath());
                return new Temp(tmp, ch, null); // no locks here: a leftover is never taken for one being written
            }
            if (lock != null && Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
                OURS.add(tmp.toAbsolutePath());
                return new Temp(tmp, ch, lock);
            }
            ch.close();
        }
    }

    /** The temporary file, its channel and its lock (null where the file system has no locks). */
    record Temp(Path path, FileChannel channel, FileLock lock) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                channel.close(); // releases the lock
            } finally {
                OURS.remove(path.toAbsolutePath());
            }
        }
    }

    /** Whether {@code name} is {@code <outName>.ltx4j-restore-<digits>.tmp}. */
    static boolean isTempOf(String outName, String name) {
        String prefix = outName + MARK;
        if (!name.startsWith(prefix) || !name.endsWith(".tmp") || name.length() < prefix.length() + ".tmp".length()) {
            return false;
        }
        String middle = name.substring(prefix.length(), name.length() - ".tmp".length());
        return !middle.isEmpty() && middle.length() <= 20 && middle.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    static List<Path> removeLeftovers(Path out) throws IOException {
        List<Path> removed = new ArrayList<>();
        scan(out, removed, new ArrayList<>());
        return removed;
    }

    /** The temporary files of restores to {@code out} still being written (locked), in this process or another. */
    static List<Path> inProgress(Path out) throws IOException {
        List<Path> busy = new ArrayList<>();
        scan(out, null, busy);
        return busy;
    }

    /** Deletes the unlocked temporaries of {@code out} into {@code removed} (null: keeps them); lists locked ones. */
    private static void scan(Path out, List<Path> removed, List<Path> busy) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        String outName = out.getFileName().toString();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, p -> isTempOf(outName,
                p.getFileName().toString()))) {
            for (Path p : entries) {
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                if (OURS.contains(p.toAbsolutePath())) {
                    busy.add(p); // this process writes it: opening it here would drop its lock
                    continue;
                }
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE);
                        FileLock lock = ch.tryLock()) {
                    if (lock == null) {
                        busy.add(p); // another process is writing it
                        continue;
                    }
                    if (removed != null) {
                        Files.delete(p);
                        removed.add(p);
                    }
                } catch (OverlappingFileLockException e) {
                    busy.add(p);
                } catch (IOException e) {
                    // not lockable here (no locks, no permission): kept, as one that may be in use
                }
            }
        }
    }

    /**
     * Refuses before writing when the file system holding {@code tmp} has less room than the snapshot's pages (a
     * restore of gigabytes into a small volume fails at once, not after the download). A file system that reports no
     * size (FUSE, network: total 0) is not judged.
     */
    static void checkSpace(Path tmp, Path out, LtxHeader snapshot, String source) throws IOException {
        long need = (long) snapshot.commitPages() * snapshot.pageSize();
        java.nio.file.FileStore store = Files.getFileStore(tmp);
        long total = store.getTotalSpace();
        long free = store.getUsableSpace();
        if (total > 0 && need > free) {
            // The size comes from the snapshot's header: name the file, as a damaged header claims any size.
            throw new IOException("not enough space to restore " + out + ": the snapshot " + source + " holds "
                    + need + " bytes by its header (" + snapshot.commitPages() + " pages of " + snapshot.pageSize()
                    + "), and " + tmp.toAbsolutePath().getParent() + " has " + free + " bytes free (" + store + "); "
                    + out + " was not changed (a snapshot file far smaller than that has a damaged header: "
                    + "check it with ltx4j ltx verify)");
        }
    }

    /** Gives {@code tmp} the POSIX permissions (and, where allowed, owner and group) of an existing {@code out}. */
    static void keepAttributes(Path out, Path tmp) {
        PosixFileAttributeView from = Files.getFileAttributeView(out, PosixFileAttributeView.class);
        PosixFileAttributeView to = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
        if (from == null || to == null || !Files.isRegularFile(out)) {
            return;
        }
        try {
            PosixFileAttributes a = from.readAttributes();
            to.setPermissions(a.permissions());
            try {
                to.setGroup(a.group());
                to.setOwner(a.owner());
            } catch (IOException e) {
                // not allowed (not root): the restoring user owns the new file
            }
        } catch (IOException e) {
            // best effort: the restored data matters more than its mode
        }
    }
}
