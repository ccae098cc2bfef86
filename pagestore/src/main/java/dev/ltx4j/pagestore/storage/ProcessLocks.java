package dev.ltx4j.pagestore.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lock files this JVM holds, shared by every class loader that loaded ltx4j (docs/class-loaders.md). A POSIX record
 * lock belongs to the process, and closing any descriptor of the file drops it: a second owner in the same JVM (an
 * earlier deployment of a web application that never closed its connections, or another open of the same file)
 * that opens the lock file, meets {@code OverlappingFileLockException} and closes its channel would silently free
 * the first owner's lock for other processes. So an owner reserves the path here first, and a second one is
 * refused without opening the file.
 *
 * <p>The reservations live in the system properties (a JDK object every class loader sees), as
 * {@code ltx4j.lock:<real directory>/<file name>} = the holder's class loader. The key resolves the directory's
 * symbolic links, so two spellings of one file through a linked directory meet the same reservation (a second key
 * would reach {@code tryLock}, and its close would drop the lock). A {@code System.setProperties} replacing them
 * forgets them; a stale one forwarded or restored into a JVM refuses that path there (docs/class-loaders.md).
 */
public final class ProcessLocks {
    private static final String PREFIX = "ltx4j.lock:";
    private static final AtomicLong SEQUENCE = new AtomicLong();
    private static final String LOADER = describe(ProcessLocks.class.getClassLoader());

    private ProcessLocks() {
    }

    /** A path reserved by this class loader's copy of ltx4j until {@link #release}. */
    public static final class Reservation {
        private final String key;
        private final String value;

        private Reservation(String key, String value) {
            this.key = key;
            this.value = value;
        }

        /** Frees the path for other owners (after the lock's channel is closed). */
        public void release() {
            System.getProperties().remove(key, value);
        }
    }

    /** Reserves {@code lockFile}, or returns null when another owner in this JVM holds it ({@link #heldBy}). */
    public static Reservation reserve(Path lockFile) {
        String key = key(lockFile);
        String value = LOADER + " #" + SEQUENCE.incrementAndGet();
        return System.getProperties().putIfAbsent(key, value) == null ? new Reservation(key, value) : null;
    }

    /**
     * Who holds {@code lockFile} in this JVM, for a refusal: null when it is this class loader's copy of ltx4j (or
     * nobody), else the other copy's class loader and what that usually is.
     */
    public static String heldBy(Path lockFile) {
        Object holder = System.getProperties().get(key(lockFile));
        if (!(holder instanceof String h) || h.startsWith(LOADER + " #")) return null;
        int seq = h.lastIndexOf(" #");
        return "another copy of ltx4j in this JVM, loaded by class loader " + (seq >= 0 ? h.substring(0, seq) : h)
                + " (an earlier deployment of this application whose connections were not closed, or another"
                + " application in this JVM): close that one's connections and data sources, or restart the JVM";
    }

    /**
     * Claims {@code what} (a JVM-wide name) for the copy of ltx4j loaded by {@code owner}, until {@link #unclaim}:
     * null when it is that copy's (now or already), else the class loader of the copy that holds it.
     */
    public static String claim(String what, ClassLoader owner) {
        String mine = describe(owner);
        Object holder = System.getProperties().putIfAbsent("ltx4j.claim:" + what, mine);
        return holder == null || holder.equals(mine) ? null : String.valueOf(holder);
    }

    /** Undoes {@link #claim} of {@code owner}'s copy (what it claimed for did not happen after all). */
    public static void unclaim(String what, ClassLoader owner) {
        System.getProperties().remove("ltx4j.claim:" + what, describe(owner));
    }

    /** A class loader as {@link #claim} and {@link #heldBy} name it: its name or first line, and its identity. */
    public static String describe(ClassLoader loader) {
        String d = loader == null ? "bootstrap" : loader.getName() != null ? loader.getName() : String.valueOf(loader);
        int nl = d.indexOf('\n');
        if (nl >= 0) d = d.substring(0, nl).strip();
        if (d.length() > 120) d = d.substring(0, 120) + "...";
        return d + "@" + Integer.toHexString(System.identityHashCode(loader));
    }

    /** The directory's real path and the file name, as {@code EngineKeys} identifies a database file. */
    private static String key(Path lockFile) {
        Path abs = lockFile.toAbsolutePath();
        Path dir = abs.getParent();
        try {
            return PREFIX + (dir == null ? abs.normalize() : dir.toRealPath().resolve(abs.getFileName()));
        } catch (IOException e) {
            return PREFIX + abs.normalize();
        }
    }
}
