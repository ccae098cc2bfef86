package dev.ltx4j.syncer;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One {@link Database} per replica identity in the process, shared by every connection and reference-counted: the
 * first {@link #acquire} opens it, the last {@link Handle#close()} closes it (W2: no per-connection copies of the
 * page map, cache, buffer or syncer). Thread-safe.
 *
 * <p>The key is the replica (the host may add a role, e.g. writer or follower), not the local name: one replica is one
 * database, so two local names of it (or two spellings of its URL, once the host reduced them to the backend's
 * canonical identity) must never get two engines: two writers racing on one replica, or two followers polling it.
 * Whether a second name may share the engine is the host's decision ({@link Handle#openedAs()} tells it which name
 * the engine was opened under).
 */
public final class DatabaseRegistry {
    private static final DatabaseRegistry SHARED = new DatabaseRegistry();

    /** Opens a database on first use. */
    @FunctionalInterface
    public interface Opener {
        Database open() throws IOException;
    }

    private record Key(String replica) {}

    private static final class Entry {
        final Database db;
        int refs;

        Entry(Database db) {
            this.db = db;
        }
    }

    private final Map<Key, Entry> open = new HashMap<>();
    /** Databases whose last reference was released and whose close (final sync, bounded) has not returned yet. */
    private final Map<Key, Closing> closing = new HashMap<>();

    /**
     * A close under way, the thread running it, and when it should be over: {@code bound} nanoseconds (its close
     * timeout, plus a second) after {@code start} (System.nanoTime).
     */
    private record Closing(Database db, Thread closer, long start, long bound) {}

    /** The close timeout plus a second in nanoseconds, saturated (a timeout of centuries must not overflow). */
    private static long waitBound(Database db) {
        long nanos;
        try {
            nanos = db.options().closeTimeout().toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        return nanos > Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : nanos + 1_000_000_000L;
    }

    /** The process-wide registry. */
    public static DatabaseRegistry shared() {
        return SHARED;
    }

    /** A connection's reference to a shared database. */
    public final class Handle implements AutoCloseable {
        private final Key key;
        private final Database db;
        private boolean closed;

        private final boolean opened;

        private Handle(Key key, Database db, boolean opened) {
            this.key = key;
            this.db = db;
            this.opened = opened;
        }

        public Database database() {
            return db;
        }

        /** The local name the shared database was opened under by its first {@link #acquire}. */
        public String openedAs() {
            return db.name();
        }

        /** True when this {@link #acquire} opened the database, false when it joined one already open. */
        public boolean opened() {
            return opened;
        }

        /** Releases this reference; the last one closes the database (final sync included). */
        @Override
        public void close() throws IOException {
            Database toClose = null;
            synchronized (DatabaseRegistry.this) {
                if (closed) {
                    return;
                }
                closed = true;
                Entry e = open.get(key);
                if (e != null && e.db == db && --e.refs == 0) {
                    open.remove(key);
                    if (db.isWriteMode()) { // a follower holds no buffer: an open need not wait for its close
                        closing.put(key, new Closing(db, Thread.currentThread(), System.nanoTime(), waitBound(db)));
                    }
                    toClose = db;
                }
            }
            if (toClose != null) {
                try {
                    toClose.close();
                } finally {
                    synchronized (DatabaseRegistry.this) {
                        Closing c = closing.get(key);
                        if (c != null && c.db() == toClose) {
                            closing.remove(key);
                        }
                        DatabaseRegistry.this.notifyAll();
                    }
                }
            }
        }
    }

    /**
     * Returns a handle to the shared database of {@code replicaIdentity}, opening it (as {@code name}) if none is
     * open; an open one is returned whatever name it was opened under (see {@link Handle#openedAs()}). While the
     * replica's last database is still closing (its final sync retries until the close timeout), waits for that close
     * to return, at most its close timeout (and a second) from the close's start: the closing engine still holds the
     * write buffer, so an open then failed with "already held by another owner in this process" (docs/field-probes.md,
     * round 8: a pool opening a connection as its last one closes). Past that bound the open goes on and meets the
     * buffer lock, as before (hosts name the close still running: ExitWait). No wait for a follower's close (it holds
     * no buffer), nor on the closing thread itself.
     */
    public synchronized Handle acquire(String replicaIdentity, String name, Opener opener) throws IOException {
        Key key = new Key(Objects.requireNonNull(replicaIdentity, "replicaIdentity"));
        Objects.requireNonNull(name, "name");
        Closing c;
        while (!open.containsKey(key) && (c = closing.get(key)) != null) {
            if (c.closer() == Thread.currentThread()) {
                break; // opened from inside its own close (a callback): waiting would only wait for ourselves
            }
            long left = c.bound() - (System.nanoTime() - c.start());
            if (left <= 0) {
                break; // a close past its bound (a request stuck without a timeout): the open meets its buffer lock
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for the close of database \""
                        + c.db().name() + "\" (same replica) to finish before opening " + name);
            }
        }
        Entry e = open.get(key);
        boolean opened = e == null;
        if (opened) {
            e = new Entry(opener.open());
            open.put(key, e);
        }
        e.refs++;
        return new Handle(key, e.db, opened);
    }

    /** A new reference to the database of {@code key} if one is open, else null; never opens one. */
    public synchronized Handle acquireIfOpen(String key) {
        Key k = new Key(Objects.requireNonNull(key, "key"));
        Entry e = open.get(k);
        if (e == null) {
            return null;
        }
        e.refs++;
        return new Handle(k, e.db, false);
    }

    /** Number of databases currently open through this registry. */
    public synchronized int size() {
        return open.size();
    }
}
