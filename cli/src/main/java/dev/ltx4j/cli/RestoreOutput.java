package dev.ltx4j.cli;

import dev.ltx4j.ltx.LtxRestorer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where {@code ltx4j restore} writes, checked before anything is downloaded (docs/time-travel.md, "Restore to a
 * file"). An old {@code -wal} or {@code -journal} beside the output would be applied by SQLite to the restored database
 * on its first open (the restore silently replaced by the old content), so they are refused, or deleted with
 * {@code --force} right before the rename; a database open in another process (its {@code -shm} locked) is never
 * replaced. A symbolic link is followed: the database it points to is restored, not the link replaced by a file.
 *
 * <p>The locks the check takes are held until {@link #close} (after the rename): an existing output's SQLite lock
 * bytes and the {@code -shm}'s DMS byte (so no SQLite connection starts reading or writing it meanwhile), and a byte
 * SQLite never locks that marks a restore in progress (so a second restore into it is refused at once, naming it). An
 * output that did not exist is created without replacing anything ({@link LtxRestorer.Output#replaces}).
 */
final class RestoreOutput implements AutoCloseable {
    private final Path given;
    private final Path file;
    /** Channels holding the locks (none for an output that does not exist); each file opened once only. */
    private final List<FileChannel> held;
    /** Whether the output existed when checked, and its identity then (null where the file system has none). */
    private final boolean existed;
    private final Object fileKey;
    /** SQLite's files beside a database: the WAL, the rollback journal, the WAL index. */
    private static final List<String> SIDECARS = List.of("-wal", "-journal", "-shm");
    /** The WAL index byte every open connection holds a shared lock on (SQLite's UNIX_SHM_DMS). */
    private static final long SHM_DMS = 128;
    /** SQLite's database-file lock bytes (os_unix.c): PENDING at 1 GiB, RESERVED next, then the 510 SHARED bytes. */
    private static final long PENDING_BYTE = 0x40000000L;
    private static final long LOCK_BYTES = 2 + 510;
    /** A byte past SQLite's lock bytes, which SQLite never locks: held by a restore writing the database. */
    private static final long RESTORE_BYTE = PENDING_BYTE + 1024;
    /**
     * The files (by identity) whose locks a restore in this process holds. Checked before a file is opened: closing
     * any descriptor of a file drops every lock this process holds on it (POSIX record locks), so a second restore
     * must never open one to find out.
     */
    private static final Set<Object> HELD = ConcurrentHashMap.newKeySet();
    /** The keys this output added to {@link #HELD}. */
    private final List<Object> registered;
    /** Links followed at most for an output that does not exist yet (Linux's limit is 40). */
    private static final int MAX_HOPS = 40;

    static RestoreOutput check(Path given, boolean force) throws IOException {
        Path file = Files.isSymbolicLink(given) ? followLinks(given) : given;
        if (Files.isDirectory(file)) {
            throw new IOException("output " + given + " is a directory; give the database file to write, e.g. "
                    + given.resolve("restored.db"));
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) { // a FIFO, a socket, a device: nothing to restore over
            throw new IOException("output " + given + (given.equals(file) ? "" : " (-> " + file + ")") + " is not a"
                    + " regular file (a FIFO, socket or device); give the database file to write; " + given
                    + " was not changed");
        }
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new IOException("output " + given + ": no such file or directory: " + dir + " (create the directory"
                    + " first)");
        }
        List<String> stale = new ArrayList<>();
        for (String suffix : List.of("-wal", "-journal")) {
            if (Files.exists(sidecar(file, suffix), LinkOption.NOFOLLOW_LINKS)) {
                stale.add(sidecar(file, suffix).getFileName().toString());
            }
        }
        List<Path> busy = LtxRestorer.restoresInProgress(file);
        if (!busy.isEmpty()) {
            throw anotherRestore(given, busy.get(0).toString());
        }
        List<FileChannel> held = new ArrayList<>();
        List<Object> registered = new ArrayList<>();
        try {
            boolean exists = Files.isRegularFile(file);
            Object key = exists ? Files.readAttributes(file, BasicFileAttributes.class).fileKey() : null;
            if (exists) {
                if (!register(registered, file, key)) {
                    throw anotherRestore(given, "one in this process holds " + file + "'s locks");
                }
                FileChannel db = lockable(given, file, "whether another process is using it: its SQLite locks");
                held.add(db);
                if (!holdLock(db, RESTORE_BYTE, 1)) {
                    throw anotherRestore(given, "it holds " + file + "'s restore lock");
                }
            }
            Path shm = sidecar(file, "-shm");
            if (Files.isRegularFile(shm, LinkOption.NOFOLLOW_LINKS)) {
                Object shmKey = Files.readAttributes(shm, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
                if (!register(registered, shm, shmKey)) {
                    throw anotherRestore(given, "one in this process holds " + shm + "'s locks");
                }
                FileChannel ch = lockable(given, shm, "whether another process has it open: its WAL index " + shm);
                held.add(ch);
                if (!holdLock(ch, SHM_DMS, 1)) {
                    throw new IOException("output " + given + " is open in another process (" + shm + " is locked):"
                            + " stop it before restoring over its database");
                }
            }
            // After the -shm: a WAL-mode connection holds a SHARED byte as long as it is open.
            if (exists && !holdLock(held.get(0), PENDING_BYTE, LOCK_BYTES)) {
                throw new IOException("output " + given + " is being read or written by another process (its"
                        + " SQLite lock bytes are locked): stop it before restoring over its database");
            }
            if (!force) {
                refuseWithoutForce(given, file, stale);
            }
            return new RestoreOutput(given, file, held, registered, exists, key);
        } catch (IOException | RuntimeException e) {
            closeAll(held);
            HELD.removeAll(registered);
            throw e;
        }
    }

    /** Adds {@code f} (its identity, or its absolute path) to {@link #HELD}; false when a restore here holds it. */
    private static boolean register(List<Object> registered, Path f, Object key) {
        Object k = key != null ? key : f.toAbsolutePath().normalize();
        if (!HELD.add(k)) {
            return false;
        }
        registered.add(k);
        return true;
    }

    private RestoreOutput(Path given, Path file, List<FileChannel> held, List<Object> registered, boolean existed,
            Object fileKey) {
        this.given = given;
        this.registered = registered;
        this.file = file;
        this.held = held;
        this.existed = existed;
        this.fileKey = fileKey;
    }

    Path file() {
        return file;
    }

    private static IOException anotherRestore(Path given, String how) {
        return new IOException("output " + given + " is being written by another ltx4j restore (" + how + "): wait"
                + " for it to finish, or stop it; " + given + " was not changed");
    }

    /**
     * Opens {@code f} to lock it. A file whose locks cannot be tested (another user's, a read-only file system)
     * refuses: not knowing must never let {@code --force} replace a live database.
     */
    private static FileChannel lockable(Path given, Path f, String what) throws IOException {
        try {
            return FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            boolean shm = f.getFileName().toString().endsWith("-shm");
            throw new IOException("output " + given + ": cannot tell " + what + " cannot be locked here ("
                    + Errors.describe(e) + "; an other user's file, or a read-only"
                    + " file system); restore as the database's owner" + (shm ? ", or delete " + f + " once no"
                    + " process uses the database" : "") + "; " + given + " was not changed", e);
        }
    }

    /** Takes an exclusive lock on {@code [pos, pos + len)} of {@code ch} and keeps it; false when another holds one. */
    private static boolean holdLock(FileChannel ch, long pos, long len) throws IOException {
        try {
            return ch.tryLock(pos, len, false) != null; // released when the channel closes
        } catch (OverlappingFileLockException e) {
            return false; // another restore in this process
        }
    }

    private static void closeAll(List<FileChannel> channels) {
        for (FileChannel ch : channels) {
            try {
                ch.close();
            } catch (IOException e) {
                // releasing locks: nothing to keep
            }
        }
    }

    /** Releases the locks (after the rename: they were on the old file, or on the -shm deleted with it). */
    @Override
    public void close() {
        closeAll(held);
        HELD.removeAll(registered); // after the channels: no restore here opens the files while the locks are held
    }

    private static void refuseWithoutForce(Path given, Path file, List<String> stale) throws IOException {
        boolean exists = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
        String logs = String.join(" and ", stale);
        String why = " (the log of an earlier database at this path: SQLite would apply it to the restored database"
                + " when it opens it)";
        if (exists && stale.isEmpty()) {
            throw new IOException("output " + given + " exists; pass --force to overwrite it");
        }
        if (exists) {
            throw new IOException("output " + given + " exists, and " + logs + " beside it" + why + "; pass --force"
                    + " to overwrite " + given + " and delete " + logs);
        }
        if (!stale.isEmpty()) {
            throw new IOException("output " + given + " does not exist, but " + logs + " does" + why + "; move "
                    + logs + " away, or pass --force to delete " + logs + " with the restore");
        }
    }

    /** Where a chain of links ends: all hops, resolved by the file system (no textual {@code ..} collapsing). */
    private static Path followLinks(Path given) throws IOException {
        if (Files.exists(given)) {
            return given.toRealPath();
        }
        Path p = given.toAbsolutePath(); // dangling: the file to create is where the last link points
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {
            if (hops == MAX_HOPS) {
                throw new IOException("output " + given + ": more than " + MAX_HOPS + " symbolic links to follow (a"
                        + " loop?)");
            }
            p = p.getParent().resolve(Files.readSymbolicLink(p));
        }
        return p;
    }

    /** The output as the user gave it, and where a link led. */
    String shown() {
        return given.equals(file) ? given.toString() : given + " (-> " + file + ")";
    }

    private static Path sidecar(Path db, String suffix) {
        return db.resolveSibling(db.getFileName() + suffix);
    }

    /**
     * Deletes the temporary file when the process is stopped (Ctrl-C, SIGTERM) during the restore, and the old
     * database's {@code -wal}, {@code -journal} and {@code -shm} right before the rename.
     */
    StopHook stopHook() {
        return new StopHook(this);
    }

    static final class StopHook implements LtxRestorer.Output, AutoCloseable {
        private final RestoreOutput where;
        private final Path file;
        private final AtomicReference<Path> temp = new AtomicReference<>();
        private final Thread hook;

        StopHook(RestoreOutput where) {
            this.where = where;
            this.file = where.file;
            this.hook = new Thread(() -> {
                Path t = temp.getAndSet(null);
                if (t != null) {
                    try {
                        if (Files.deleteIfExists(t)) {
                            System.err.println("\nrestore stopped: removed the partial database " + t + "; "
                                    + file + " was not changed");
                        }
                    } catch (IOException e) {
                        System.err.println("\nrestore stopped: could not remove the partial database " + t + ": " + Errors.describe(e));
                    }
                }
            }, "ltx4j-restore-stop");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        @Override
        public void tempCreated(Path t) {
            temp.set(t);
        }

        @Override
        public boolean replaces() {
            return where.existed;
        }

        /**
         * The locks taken at the check are still held, so no SQLite connection began using the output since; what
         * is left to check is that the name still means the file checked (nothing renamed over it, nothing created
         * where there was none) before its old logs are deleted.
         */
        @Override
        public void beforeReplace(Path t) throws IOException {
            if (!where.existed && Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new IOException("output " + file + " was created by another process during the restore (another"
                        + " restore, or an application): it was not replaced; restore again (with --force to replace"
                        + " it)");
            }
            if (where.existed && !where.sameFile()) {
                throw new IOException("output " + file + " was replaced by another process during the restore: the"
                        + " new file was not replaced; restore again (with --force to replace it)");
            }
            List<String> deleted = new ArrayList<>();
            for (String suffix : SIDECARS) {
                Path side = sidecar(file, suffix);
                try {
                    if (Files.deleteIfExists(side)) {
                        deleted.add(side.getFileName().toString());
                    }
                } catch (IOException e) { // past this point the old database's logs may be gone: never "not changed"
                    throw new IOException("cannot delete " + side + " before replacing " + file + ": " + e.getMessage()
                            + "; " + file + " itself was not replaced" + (deleted.isEmpty() ? "" : ", but "
                            + String.join(" and ", deleted) + " beside it were deleted"), e);
                }
            }
            temp.set(null); // renamed next: nothing left to remove
        }

        @Override
        public void close() {
            temp.set(null);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs
            }
        }
    }

    /** Whether the output's name still means the file whose locks are held (by its identity where there is one). */
    private boolean sameFile() {
        try {
            Object now = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return fileKey == null || fileKey.equals(now);
        } catch (IOException e) {
            return false; // gone: something moved it away
        }
    }
}
