package dev.ltx4j.pagestore.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Owner-only files and directories for everything ltx4j keeps locally (buffers, locks, conflict files, spools).
 * New ones are created {@code rwx------} / {@code rw-------} atomically (the mode is passed to the create call,
 * never set afterwards). An existing one is used only if it is not a symbolic link, is owned by the user running
 * this process and cannot be written by group or others; otherwise {@link UnsafePathException} names the path and
 * what is wrong. Where the file system has no POSIX permissions (Windows, some in-memory file systems) the checks
 * are skipped and plain creation is used.
 */
public final class SecureFiles {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SecureFiles.class);
    private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OTHERS_WRITE =
            EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
    private static volatile UserPrincipal currentUser;

    private SecureFiles() {}

    /** Whether {@code path}'s file system has POSIX permissions. */
    public static boolean posix(Path path) {
        return path.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** Attributes that create a file {@code rw-------} (none where not POSIX). */
    public static FileAttribute<?>[] ownerOnlyFile(Path path) {
        return posix(path) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_FILE)}
                : new FileAttribute<?>[0];
    }

    private static FileAttribute<?>[] ownerOnlyDirectory(Path path) {
        return posix(path) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_DIR)}
                : new FileAttribute<?>[0];
    }

    /**
     * A directory that ltx4j owns (the default buffer directory, {@code conflicts/}): created owner-only with any
     * missing parents, or, when it exists, checked (see the class comment). With {@code tighten}, group and other
     * read/execute bits on an existing, otherwise safe one are removed (a directory ltx4j named itself, such as the
     * default buffer directory an older version created {@code rwxr-xr-x}).
     */
    public static Path privateDirectory(Path dir, boolean tighten) throws IOException {
        createMissing(dir);
        if (!posix(dir)) {
            return dir;
        }
        PosixFileAttributes attrs = checkOwned(dir, true);
        if (!tighten) {
            return dir;
        }
        if (!attrs.permissions().equals(OWNER_DIR) && attrs.permissions().containsAll(OWNER_DIR)) {
            Files.setPosixFilePermissions(dir, OWNER_DIR); // ours already; only tightens
        } else if (!attrs.permissions().containsAll(OWNER_DIR)) {
            throw new UnsafePathException(dir, "has mode " + PosixFilePermissions.toString(attrs.permissions())
                    + ", not usable by its owner; expected rwx------");
        }
        return dir;
    }

    /**
     * Creates {@code dir} owner-only with any missing parents when it does not exist; an existing directory is
     * left as it is (for directories the user chose, such as the spool directory next to a configured buffer).
     * What it creates is made durable: the parent of each new directory is fsynced, or a power cut could take the
     * new directory's entry, and with it every file later written and fsynced inside (docs/write-buffer-recovery.md,
     * "Power cuts").
     */
    public static Path createMissing(Path dir) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return dir;
        }
        Path absolute = dir.toAbsolutePath();
        Path parent = absolute.getParent();
        Path existing = parent;
        while (existing != null && !Files.isDirectory(existing)) {
            existing = existing.getParent();
        }
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(parent, ownerOnlyDirectory(parent));
        }
        try {
            Files.createDirectory(dir, ownerOnlyDirectory(dir));
        } catch (FileAlreadyExistsException raced) {
            // someone else created it first (or it is not a directory): the caller's check decides
        }
        for (Path p = parent; p != null; p = p.getParent()) { // deepest first: each new entry, then its parent's
            try {
                syncDirectory(p);
            } catch (IOException e) {
                break; // best effort here; a write buffer syncs its directory's entry itself, failing if it cannot
            }
            if (p.equals(existing)) {
                break;
            }
        }
        return dir;
    }

    /**
     * Fsyncs a directory so the entries created, renamed or removed in it last through a power cut. Skipped where a
     * directory cannot be opened (Windows: NTFS journals its directories itself) and off the default file system.
     */
    public static void syncDirectory(Path dir) throws IOException {
        if (!posix(dir) || dir.getFileSystem() != FileSystems.getDefault()) {
            return;
        }
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /**
     * Makes {@code dir}'s own entry durable, and the entries of its ancestors, which may be new too ({@code mkdir -p}
     * by the user, a run that crashed before syncing): the real path's parents are fsynced up to the root of its
     * file system (symbolic links resolved, or the link's directory would be synced instead of the real one's). A
     * parent on another device is where a mount point's entry lives, not new, and ends the walk; so does a parent
     * that cannot sync directories (EINVAL from squashfs, erofs, iso9660, /proc) or is read-only, whose entries
     * cannot be new. A parent this user may only pass through (systemd's 0700 /var/lib/private) is skipped: its
     * entries are its owner's to sync. Any other failure is thrown. Returns the directories synced
     * (docs/write-buffer-recovery.md, "Power cuts").
     */
    public static int syncEntryAndAncestors(Path dir) throws IOException {
        if (!posix(dir) || dir.getFileSystem() != FileSystems.getDefault()) {
            return 0;
        }
        Path real = dir.toRealPath();
        Object device = device(real);
        int synced = 0;
        for (Path parent = real.getParent(); parent != null; parent = parent.getParent()) {
            if (device != null && !device.equals(device(parent))) {
                break; // real (or a directory below it) is a mount point; the parent file system's entry is old
            }
            try {
                syncDirectory(parent);
                synced++;
            } catch (java.nio.file.AccessDeniedException e) {
                continue; // only its owner can open it; the directories above are still ours to sync
            } catch (IOException e) {
                if (cannotHoldNewEntries(parent, e)) {
                    LOG.debug("directory {} cannot be fsynced ({}); entries above {} not synced", parent, e, real);
                    break;
                }
                throw e;
            }
        }
        return synced;
    }

    private static Object device(Path path) {
        try {
            return Files.getAttribute(path, "unix:dev");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null; // no unix view (not Linux or macOS): walk without the device check
        }
    }

    /** A read-only file system, or one that has no directory fsync (EINVAL): nothing new in it to lose. */
    private static boolean cannotHoldNewEntries(Path dir, IOException e) {
        try {
            if (Files.getFileStore(dir).isReadOnly()) {
                return true;
            }
        } catch (IOException ignored) {
            // fall through to the reason
        }
        return e instanceof java.nio.file.FileSystemException fse && "Invalid argument".equals(fse.getReason())
                || "Invalid argument".equals(e.getMessage());
    }

    /**
     * Checks an existing file ltx4j opens for writing (a buffer, a lock): a regular file, not a symbolic link,
     * owned by this user, not writable by group or others. Does nothing if it does not exist.
     */
    public static void checkExistingFile(Path file) throws IOException {
        if (!posix(file) || !Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        checkOwned(file, false);
    }

    /**
     * Checks an existing directory or regular file without creating anything: not a symbolic link, owned by this
     * user, not writable by group or others ({@link UnsafePathException} otherwise, {@code does not exist} included).
     * Where the file system has no POSIX permissions, only the kind is checked.
     */
    public static void checkOwnedExisting(Path path, boolean directory) throws IOException {
        if (posix(path)) {
            checkOwned(path, directory);
        } else if (directory ? !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)
                : !Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new UnsafePathException(path, "is not a " + (directory ? "directory" : "regular file"));
        }
    }

    private static PosixFileAttributes checkOwned(Path path, boolean directory) throws IOException {
        PosixFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new UnsafePathException(path, "does not exist");
        }
        if (attrs.isSymbolicLink()) {
            throw new UnsafePathException(path, "is a symbolic link; ltx4j does not follow links here (another"
                    + " user could point it anywhere)");
        }
        if (directory ? !attrs.isDirectory() : !attrs.isRegularFile()) {
            throw new UnsafePathException(path, "is not a " + (directory ? "directory" : "regular file"));
        }
        UserPrincipal me = currentUser(path);
        if (me != null && !attrs.owner().equals(me)) {
            throw new UnsafePathException(path, "is owned by " + attrs.owner().getName() + ", not by "
                    + me.getName() + " who runs this process; another user may have created it");
        }
        Set<PosixFilePermission> perms = attrs.permissions();
        if (perms.stream().anyMatch(OTHERS_WRITE::contains)) {
            throw new UnsafePathException(path, "is writable by group or others (mode "
                    + PosixFilePermissions.toString(perms) + "); run chmod " + (directory ? "700" : "600")
                    + " on it if it is yours");
        }
        return attrs;
    }

    /**
     * The user running this process: the owner of {@code /proc/self} where there is one (the effective uid, right
     * even without a passwd entry), else the principal named by {@code user.name}. Null if neither is known, and
     * on file systems other than the default one (in-memory ones have no notion of the process's user).
     */
    static UserPrincipal currentUser(Path onFileSystemOf) {
        if (onFileSystemOf.getFileSystem() != FileSystems.getDefault()) {
            return null;
        }
        UserPrincipal me = currentUser;
        if (me != null) {
            return me;
        }
        try {
            Path self = onFileSystemOf.getFileSystem().getPath("/proc/self");
            if (Files.exists(self)) {
                me = Files.getOwner(self);
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            me = null;
        }
        if (me == null) {
            try {
                me = onFileSystemOf.getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByName(System.getProperty("user.name"));
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                return null;
            }
        }
        currentUser = me;
        return me;
    }

    /** Creates a new file {@code rw-------} (failing if anything, a link included, is there) for writing. */
    public static OutputStream newPrivateFile(Path file) throws IOException {
        return Channels.newOutputStream(Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), ownerOnlyFile(file)));
    }

    /** {@link Files#createTempFile(Path, String, String, FileAttribute[])} with mode {@code rw-------}. */
    public static Path createPrivateTempFile(Path dir, String prefix, String suffix) throws IOException {
        return Files.createTempFile(dir, prefix, suffix, ownerOnlyFile(dir));
    }
}
