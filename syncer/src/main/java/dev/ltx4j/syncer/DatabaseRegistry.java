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
                    toClose = db;
                }
            }
            if (toClose != null) {
                toClose.close();
            }
        }
    }

    /**
     * Returns a handle to the shared database of {@code replicaIdentity}, opening it (as {@code name}) if none is
     * open; an open one is returned whatever name it was opened under (see {@link Handle#openedAs()}).
     */
    public synchronized Handle acquire(String replicaIdentity, String name, Opener opener) throws IOException {
        Key key = new Key(Objects.requireNonNull(replicaIdentity, "replicaIdentity"));
        Objects.requireNonNull(name, "name");
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
