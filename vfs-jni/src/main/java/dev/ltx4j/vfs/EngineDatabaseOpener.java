package dev.ltx4j.vfs;

import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.vfs.engine.EngineConnector;
import dev.ltx4j.vfs.engine.EngineVfsDatabase;

import java.io.IOException;
import java.time.Clock;
import java.util.Map;

/**
 * The storage engine behind the VFS {@code litestream}: each connection gets a view of one process-wide engine
 * database per replica (the backend's canonical identity: every spelling of the URL and every local path of one
 * replica reach the same engine; a second writer with another buffer is refused). This is the
 * {@link DatabaseOpener} service found by the sqlite3 CLI and python hosts; in a JVM use
 * {@link LitestreamVfs#builder()}.
 *
 * <p>Settings, each a URI parameter with an environment fallback: {@code replica_url}
 * ({@code LITESTREAM_REPLICA_URL}, required), {@code write_enabled}, {@code sync_interval}, {@code poll_interval},
 * {@code poll_backoff}, {@code buffer_path}, {@code durability} ({@code local}, {@code remote}, {@code none}), {@code cache_size}.
 * The open fails with a message naming the setting when one is missing or invalid, when the URL's scheme has no
 * backend, or when the buffer path is not writable.
 */
public final class EngineDatabaseOpener implements DatabaseOpener {
    private final EngineConnector connector;

    /** The service constructor: every setting from URI parameters and the environment. */
    public EngineDatabaseOpener() {
        this(new EngineConnector(Map.of(), null, null, Clock.systemUTC()));
    }

    EngineDatabaseOpener(EngineConnector connector) {
        this.connector = connector;
    }

    @Override
    public VfsDatabase open(String name, OpenOptions options) throws IOException {
        return connector.open(name, options);
    }

    /**
     * One connection's handle on an engine database the caller built itself (the simulator serves its own
     * {@link Database}s this way). Takes ownership of {@code handle}: closing the result releases it.
     */
    public static VfsDatabase connection(DatabaseRegistry.Handle handle, Clock clock) {
        return new EngineVfsDatabase(handle, clock);
    }
}
