package dev.ltx4j.vfs;

import java.io.IOException;

/**
 * Opens the Java side of a database that SQLite opens through the litestream VFS.
 *
 * <p>Called once per {@code xOpen} of a <em>main</em> database file, that is once per SQLite connection
 * (and per {@code ATTACH}). Journals, temp files and lock state never reach Java. Called concurrently from
 * any thread, so implementations must be thread-safe; state shared by the connections of one database (page
 * index, write buffer, sync state) belongs behind the returned handles, not in them.
 *
 * <h2>How an opener is found</h2>
 * For a VFS name, in this order:
 * <ol>
 *   <li>an opener registered with {@link LitestreamVfs#register(String, DatabaseOpener)};</li>
 *   <li>for the name {@code litestream} only: the test backend when the environment variable
 *       {@code LITESTREAM_VFS_TEST_BACKEND=local} is set ({@link LocalFileDatabase}; never for production);</li>
 *   <li>for the name {@code litestream} only: the single {@code DatabaseOpener} service found by
 *       {@link java.util.ServiceLoader} (module {@code provides dev.ltx4j.vfs.DatabaseOpener with ...}, or a
 *       {@code META-INF/services/dev.ltx4j.vfs.DatabaseOpener} file on the class path). This is how the storage
 *       engine serves the sqlite3 CLI and python hosts, whose JVM is started from the jars in {@code dist/lib};</li>
 *   <li>otherwise the open fails: with "LITESTREAM_REPLICA_URL is not set" when no replica URL is configured,
 *       else with "no storage engine is installed".</li>
 * </ol>
 */
@FunctionalInterface
public interface DatabaseOpener {

    /**
     * Opens one connection's handle on a database.
     *
     * @param name    the database path exactly as SQLite passes it to the VFS: absolute, resolved against the
     *                process's working directory, without URI parameters. It names a logical database; the
     *                rollback journal ({@code name + "-journal"}) and the lock file ({@code name + "-lock"}) are
     *                real local files next to it.
     * @param options the open flags and the per-database settings (URI parameters, environment fallback)
     * @return a new handle, owned by the calling connection until {@link VfsDatabase#close()}
     * @throws VfsConfigurationException when the settings are missing or invalid; the message must name the
     *                                   offending setting. The open fails with {@code SQLITE_CANTOPEN}.
     * @throws IOException               when the database cannot be opened; the open fails with
     *                                   {@code SQLITE_CANTOPEN}
     */
    VfsDatabase open(String name, OpenOptions options) throws IOException;
}
