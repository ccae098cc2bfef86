package dev.ltx4j.cli;

import dev.ltx4j.ltx.LtxRestorer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where {@code ltx4j restore} writes, checked before anything is downloaded (docs/time-travel.md, "Restore to a
 * file"). An old {@code -wal} or {@code -journal} beside the output would be applied by SQLite to the restored database
 * on its first open (the restore silently replaced by the old content), so they are refused, or deleted with
 * {@code --force} right before the rename; a database open in another process (its {@code -shm} locked) is never
 * replaced. A symbolic link is followed: the database it points to is restored, not the link replaced by a file.
 */
record RestoreOutput(Path given, Path file) {
    /** SQLite's files beside a database: the WAL, the rollback journal, the WAL index. */
    private static final List<String> SIDECARS = List.of("-wal", "-journal", "-shm");
    /** The WAL index byte every open connection holds a shared lock on (SQLite's UNIX_SHM_DMS). */
    private static final long SHM_DMS = 128;
    /** SQLite's database-file lock bytes (os_unix.c): PENDING at 1 GiB, RESERVED next, then the 510 SHARED bytes. */
    private static final long PENDING_BYTE = 0x40000000L;
    private static final long LOCK_BYTES = 2 + 510;
    /** Links followed at most for an output that does not exist yet (Linux's limit is 40). */
    private static final int MAX_HOPS = 40;

    static RestoreOutput check(Path given, boolean force) throws IOException {
        Path file = Files.isSymbolicLink(given) ? followLinks(given) : given;
        if (Files.isDirectory(file)) {
            throw new IOException("output " + given + " is a directory; give the database file to write, e.g. "
                    + given.resolve("restored.db"));
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
        if (openElsewhere(file)) {
            throw new IOException("output " + given + " is open in another process (" + sidecar(file, "-shm")
                    + " is locked): stop it before restoring over its database");
        }
        if (inTransactionElsewhere(file)) {
            throw new IOException("output " + given + " is being read or written by another process (its SQLite lock"
                    + " bytes are locked): stop it before restoring over its database");
        }
        if (!force) {
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
        return new RestoreOutput(given, file);
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
     * Whether a SQLite connection in another process has the database open in WAL mode (shared lock on DMS). A
     * {@code -shm} whose lock cannot be tested (another user's, a read-only file system) refuses: not knowing must
     * never let {@code --force} replace a live database.
     */
    private static boolean openElsewhere(Path db) throws IOException {
        Path shm = sidecar(db, "-shm");
        if (!Files.isRegularFile(shm, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(shm, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock lock = ch.tryLock(SHM_DMS, 1, false)) {
            return lock == null;
        } catch (OverlappingFileLockException e) {
            return true;
        } catch (IOException e) {
            throw new IOException("output " + db + ": cannot tell whether another process has it open: its WAL index "
                    + shm + " cannot be locked here (" + e.getClass().getSimpleName() + ": " + e.getMessage() + "; an"
                    + " other user's file, or a read-only file system); restore as the database's owner, or delete "
                    + shm + " once no process uses the database; " + db + " was not changed", e);
        }
    }

    /**
     * Whether a connection in another process is reading or writing the database (rollback-journal mode, also a WAL
     * reader): it holds a lock in the PENDING/RESERVED/SHARED range. An idle rollback-mode connection holds no lock
     * and cannot be detected (docs/time-travel.md, "Restore to a file"). Not testable here refuses, as the -shm.
     */
    private static boolean inTransactionElsewhere(Path db) throws IOException {
        if (!Files.isRegularFile(db)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(db, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock lock = ch.tryLock(PENDING_BYTE, LOCK_BYTES, false)) {
            return lock == null;
        } catch (OverlappingFileLockException e) {
            return true;
        } catch (IOException e) {
            throw new IOException("output " + db + ": cannot tell whether another process is using it: its SQLite"
                    + " locks cannot be tested (" + e.getClass().getSimpleName() + ": " + e.getMessage() + "); restore"
                    + " as the database's owner; " + db + " was not changed", e);
        }
    }

    /**
     * Deletes the temporary file when the process is stopped (Ctrl-C, SIGTERM) during the restore, and the old
     * database's {@code -wal}, {@code -journal} and {@code -shm} right before the rename.
     */
    StopHook stopHook() {
        return new StopHook(file);
    }

    static final class StopHook implements LtxRestorer.Output, AutoCloseable {
        private final Path file;
        private final AtomicReference<Path> temp = new AtomicReference<>();
        private final Thread hook;

        StopHook(Path file) {
            this.file = file;
            this.hook = new Thread(() -> {
                Path t = temp.getAndSet(null);
                if (t != null) {
                    try {
                        if (Files.deleteIfExists(t)) {
                            System.err.println("\nrestore stopped: removed the partial database " + t + "; "
                                    + file + " was not changed");
                        }
                    } catch (IOException e) {
                        System.err.println("\nrestore stopped: could not remove the partial database " + t + ": " + e);
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
        public void beforeReplace(Path t) throws IOException {
            if (openElsewhere(file)) { // opened since the check: never delete a live database's log
                throw new IOException("output " + file + " was opened by another process during the restore ("
                        + sidecar(file, "-shm") + " is locked): stop it and restore again; " + file + " was not changed");
            }
            if (inTransactionElsewhere(file)) {
                throw new IOException("output " + file + " is being read or written by another process (its SQLite"
                        + " lock bytes are locked): stop it and restore again; " + file + " was not changed");
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
}
