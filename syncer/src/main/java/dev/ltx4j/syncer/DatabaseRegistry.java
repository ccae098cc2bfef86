package dev.ltx4j.syncer;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One {@link Database} per (replica identity, database name) in the process, shared by every connection and
 * reference-counted: the first {@link #acquire} opens it, the last {@link Handle#close()} closes it (W2: no
 * per-connection copies of the page map, cache, buffer or syncer). Thread-safe.
 */
public final class DatabaseRegistry {
    private static final DatabaseRegistry SHARED = new DatabaseRegistry();

    /** Opens a database on first use. */
    @FunctionalInterface
    public interface Opener {
        Database open() throws IOException;
    }

    private record Key(String replica, String name) {}

    private static final class Entry {
        final Database db;
        int refs;

        Entry(Database db) {
            this.db = db;
        }
    }

    private final Map<Key, Entry> open = new HashMap<>();

    /** The process-wide registry. */
    public static DatabaseRegistry shared() {
        return SHARED;
    }

    /** A connection's reference to a shared database. */
    public final class Handle implements AutoCloseable {
        private final Key key;
        private final Database db;
        private boolean closed;

        private Handle(Key key, Database db) {
            this.key = key;
            this.db = db;
        }

        public Database database() {
            return db;
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
                    toClose = db;
                }
            }
            if (toClose != null) {
                toClose.close();
            }
        }
    }

    /** Returns a handle to the shared database of {@code (replicaIdentity, name)}, opening it if needed. */
    public synchronized Handle acquire(String replicaIdentity, String name, Opener opener) throws IOException {
        Key key = new Key(Objects.requireNonNull(replicaIdentity, "replicaIdentity"), Objects.requireNonNull(name, "name"));
        Entry e = open.get(key);
        if (e == null) {
            e = new Entry(opener.open());
            open.put(key, e);
        }
        e.refs++;
        return new Handle(key, e.db);
    }

    /** Number of databases currently open through this registry. */
    public synchronized int size() {
        return open.size();
    }
}
