package dev.ltx4j.vfs.internal;

import dev.ltx4j.replica.support.ByteSizes;
import dev.ltx4j.vfs.DatabaseOpener;
import dev.ltx4j.vfs.OpenOptions;
import dev.ltx4j.vfs.ReplicaConflictException;
import dev.ltx4j.vfs.VfsConfigurationException;
import dev.ltx4j.vfs.VfsDatabase;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Entry points called from {@code litestreamvfs.c}, and the natives it binds with RegisterNatives. Strings cross
 * as UTF-8 byte arrays because SQLite file names need not be valid modified UTF-8.
 */
public final class NativeBridge {
    private static final Set<NativeFile> OPEN = ConcurrentHashMap.newKeySet();
    private static final ThreadLocal<String> LAST_OPEN_ERROR = new ThreadLocal<>();
    private static volatile boolean shutdownHookAdded;

    private NativeBridge() {
    }

    static native void nativeLog(int code, byte[] message);

    static native int nativeRegisterVfs(byte[] name);

    static native long[] nativeCounters();

    static native boolean nativeEmbedded();

    /**
     * A new version stamp in native memory (never freed: a few bytes per database opened), with a native page view of
     * at most {@code viewBytes} bytes of pages (0: none).
     */
    static native long nativeNewStamp(long viewBytes, int faults);

    /** {@link VfsDatabase#nativeFaults()}: the snapshot kept after a commit is reused even after other changes. */
    public static final int FAULT_KEEP_OWN_COMMIT_BLINDLY = 1;
    /**
     * Test fault bit (with the simulator's {@code stale-page-view}): a commit does not fill the native page view with
     * its own pages, which would otherwise replace the stale entries that switch leaves and hide it.
     */
    public static final int FAULT_NO_COMMIT_PAGES = 2;

    /** Advances a stamp: every connection's next read transaction asks its database again. */
    static native void nativeBumpStamp(long stamp);

    /** A change of {@code pages} (null: of any page) is about to be published (the native page view). */
    static native void nativePagesChanging(long stamp, long[] pages);

    /** The database closed: its page view's memory goes once its last connection closed. */
    static native void nativeCloseView(long stamp);

    /** Environment variable and system property: bytes of the native page view per database (0: off). */
    static final String PAGE_VIEW_VARIABLE = "LITESTREAM_NATIVE_CACHE_SIZE";
    static final String PAGE_VIEW_PROPERTY = "ltx4j.vfs.nativeCacheSize";
    /** Default: 8 MiB per database (2,048 pages of 4 KiB), allocated at its first page read. */
    static final long DEFAULT_PAGE_VIEW_BYTES = 8L << 20;

    /** One stamp per {@link VfsDatabase#versionKey()}; weak keys, so a closed database's entry goes with it. */
    private static final Map<Object, Long> STAMPS = new WeakHashMap<>();

    /**
     * The version stamp of {@code db}'s underlying database (0: it has none), created and hooked to its changes on
     * first use (docs/concurrent-readers.md).
     */
    static long stampFor(VfsDatabase db) {
        if (!db.snapshotReads()) return 0;
        Object key = db.versionKey();
        if (key == null) return 0;
        synchronized (STAMPS) {
            Long known = STAMPS.get(key);
            if (known != null) return known;
            long stamp = nativeNewStamp(pageViewBytes(), db.nativeFaults());
            if (stamp == 0) return 0;
            db.onPagesChanging(new VfsDatabase.PageChanges() {
                @Override
                public void changing(long[] pages) {
                    nativePagesChanging(stamp, pages);
                }

                @Override
                public void closed() {
                    nativeCloseView(stamp);
                }
            });
            db.onVersionChange(() -> nativeBumpStamp(stamp));
            STAMPS.put(key, stamp);
            return stamp;
        }
    }

    /**
     * The native page view's size per database: {@value #PAGE_VIEW_PROPERTY} or {@value #PAGE_VIEW_VARIABLE} (bytes, or
     * a number with k, m or g), else {@link #DEFAULT_PAGE_VIEW_BYTES}. A value that is not a size is named in the log
     * and the default is used.
     */
    static long pageViewBytes() {
        String v = System.getProperty(PAGE_VIEW_PROPERTY);
        String source = "system property " + PAGE_VIEW_PROPERTY;
        if (v == null || v.isBlank()) {
            v = System.getenv(PAGE_VIEW_VARIABLE);
            source = "environment variable " + PAGE_VIEW_VARIABLE;
        }
        if (v == null || v.isBlank()) return DEFAULT_PAGE_VIEW_BYTES;
        try {
            return ByteSizes.parse(source, v);
        } catch (IllegalArgumentException e) {
            log(SqliteCodes.WARNING, "litestream: " + e.getMessage() + "; using " + DEFAULT_PAGE_VIEW_BYTES);
            return DEFAULT_PAGE_VIEW_BYTES;
        }
    }

    /** Registers one more VFS name in the SQLite that loaded the extension; a SQLite result code. */
    public static int registerVfs(String name) {
        return nativeRegisterVfs(name.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Native counters since load: {@code [xRead calls, xWrite calls, Java crossings, write-lock hand-over waits,
     * native page view hits, misses, fills, immediate retries, write-lock grants, grants to its last holder, ns held,
     * ns free while a writer waited, busy-handler sleeps, us they asked, stale-snapshot refusals, ns of those
     * crossings]} (hand-over waits: a writer waiting for another connection of this process to let go of the write
     * lock; immediate retries: busy-handler sleeps skipped after a stale-snapshot refusal; see litestreamvfs.c).
     */
    public static long[] counters() {
        return nativeCounters();
    }

    /** The reason the calling thread's last litestream open failed, or null if it succeeded. */
    public static String lastOpenError() {
        return LAST_OPEN_ERROR.get();
    }

    /** Forgets the calling thread's last open failure, before an open whose own failure is to be reported. */
    public static void clearLastOpenError() {
        LAST_OPEN_ERROR.remove();
    }

    /** Whether the extension started the JVM itself (sqlite3 CLI or python host). */
    static boolean embedded() {
        return nativeEmbedded();
    }

    /** Set once a native open found the JVM inside a sqlite3/python host (never true without the native library). */
    private static volatile boolean scriptHost;

    /**
     * True in a sqlite3/python host: no logging there, so what the user must know goes to stderr, and the exit's
     * wait for the final sync is bounded (engine ExitWait). False in a JVM host and before any native open.
     */
    public static boolean scriptHost() {
        return scriptHost;
    }

    /**
     * A read found a corrupt replica file: recorded as the thread's last open error too, because SQLite reads the
     * database header while opening, so a corrupt file holding page 1 fails the open itself (SQLITE_CORRUPT) and
     * the connection whose {@code litestream_last_error} would tell why never exists.
     */
    static void noteCorruptRead(String why) {
        LAST_OPEN_ERROR.set(why);
    }

    /** Passes a message to {@code sqlite3_log}. */
    static void log(int code, String message) {
        nativeLog(code, message.getBytes(StandardCharsets.UTF_8));
    }

    /** xOpen of a main database: a {@link NativeFile}, or a String saying why the open failed. */
    static Object open(byte[] vfsName, byte[] path, int flags, byte[][] params, ByteBuffer buffer) {
        String name = utf8(path);
        try {
            Map<String, String> uri = new LinkedHashMap<>();
            for (int i = 0; i + 1 < params.length; i += 2) {
                uri.put(utf8(params[i]), params[i + 1] == null ? "" : utf8(params[i + 1]));
            }
            Map<String, String> env = System.getenv();
            OpenOptions options = new OpenOptions(flags, uri, env);
            DatabaseOpener opener = OpenerRegistry.resolve(utf8(vfsName), options, env);
            addShutdownHookOnce(); // before the first open: it tells scriptHost(), which the open's warnings need
            VfsDatabase db = opener.open(name, options);
            if (db == null) throw new IOException(opener.getClass().getName() + ".open returned null");
            NativeFile file;
            try {
                file = new NativeFile(db, buffer, name);
            } catch (IOException | RuntimeException e) {
                try {
                    db.close(); // the open failed after all: release what the opener took
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            OPEN.add(file);
            LAST_OPEN_ERROR.remove();
            return file;
        } catch (Exception | LinkageError | ServiceConfigurationError e) {
            String why = describe(e);
            LAST_OPEN_ERROR.set(why);
            return why;
        }
    }

    /** The host process is exiting (C atexit in CLI/python hosts; a shutdown hook in a JVM host). */
    static void hostExit() {
        Object exit = new Object(); // one exit: its handles share its deadline (ExitWait)
        for (NativeFile f : OPEN) f.hostExit(exit);
    }

    static void closed(NativeFile file) {
        OPEN.remove(file);
    }

    /** In a JVM host shutdown hooks do run; in a CLI/python host C's atexit handler calls {@link #hostExit}. */
    private static void addShutdownHookOnce() {
        if (shutdownHookAdded) return;
        synchronized (NativeBridge.class) {
            if (shutdownHookAdded) return;
            shutdownHookAdded = true;
            scriptHost = nativeEmbedded();
            if (!scriptHost) {
                Runtime.getRuntime().addShutdownHook(new Thread(NativeBridge::hostExit, "litestream-vfs-exit"));
            }
        }
    }

    static String describe(Throwable e) {
        return describe(e, true);
    }

    /** {@code mayBeAtLimit}: the failure can be EMFILE/ENFILE, so naming the open-file limit is worth asking. */
    static String describe(Throwable e, boolean mayBeAtLimit) {
        return describe(e, mayBeAtLimit, true);
    }

    /**
     * {@code logUnexpected}: false only for the class preload of {@code NativeFile.loadFailurePath}, whose
     * exception is no failure (it used to log a WARN with a stack trace at every process's first open).
     */
    static String describe(Throwable e, boolean mayBeAtLimit, boolean logUnexpected) {
        // A bad PRAGMA value's IllegalArgumentException is written for the user (VfsDatabase.pragma): verbatim too.
        if (e instanceof VfsConfigurationException || e instanceof ReplicaConflictException
                || e instanceof IllegalArgumentException) {
            return e.getMessage();
        }
        // A plain sentence, no Java class name first (round 9): sqlite3, Python and JDBC users print it.
        // "Too many open files" names the file, not the limit: name it when the process is at it.
        String text = dev.ltx4j.replica.internal.UserMessages.describe(e);
        boolean unexpected = unexpectedState(e);
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(NativeBridge.class); // resolved by the preload too
        if (unexpected && logUnexpected) {
            // An invariant failure ("neither synced nor pending") reads as a bare sentence in the host: the log keeps
            // its class and stack for a bug report (docs/field-probes.md, "Round 9: leftovers").
            log.warn("host error from an unexpected state: {}", text, e);
        }
        return mayBeAtLimit ? dev.ltx4j.replica.internal.OpenFileLimit.withLimit(text, e) : text;
    }

    /**
     * An {@code IllegalStateException} or {@code UnsupportedOperationException} in the chain that is not an expected
     * state a user causes (something already closed): an invariant failure of ltx4j.
     */
    static boolean unexpectedState(Throwable e) {
        Throwable t = e;
        for (int i = 0; t != null && i < 6; i++, t = t.getCause()) {
            if (t instanceof IllegalStateException || t instanceof UnsupportedOperationException) {
                String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(java.util.Locale.ROOT);
                return !(m.contains("closed") || m.contains("read mode") || m.contains("read-only"));
            }
        }
        return false;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
