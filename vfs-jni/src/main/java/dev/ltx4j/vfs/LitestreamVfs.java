package dev.ltx4j.vfs;

import dev.ltx4j.vfs.engine.EngineConnector;
import dev.ltx4j.vfs.internal.NativeBridge;
import dev.ltx4j.vfs.internal.NativeLibrary;
import dev.ltx4j.vfs.internal.OpenerRegistry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Installs the litestream VFS in the SQLite of sqlite-jdbc (xerial), in this JVM.
 *
 * <pre>{@code
 * LitestreamVfs.register("litestream", myOpener);                  // or rely on a DatabaseOpener service
 * Connection c = DriverManager.getConnection(LitestreamVfs.jdbcUrl(Path.of("app.db"), "litestream", Map.of()));
 * }</pre>
 *
 * <p>How it works: {@link #load()} extracts the native library, {@code System.load}s it (binding its natives to
 * this module), then runs {@code select load_extension(<same path>, 'sqlite3_litestreamvfs_init')} on a private
 * in-memory sqlite-jdbc connection: sqlite-jdbc exports no {@code sqlite3_*} symbols, so an extension entry point
 * is the only way into its SQLite. The VFS then stays registered for the life of the process.
 *
 * <p>Always open with a {@code file:} URI ({@link #jdbcUrl}); sqlite-jdbc treats {@code jdbc:sqlite:x.db?vfs=...}
 * as a plain file name and silently uses the default VFS.
 */
public final class LitestreamVfs {
    /** The VFS name the native library always registers. */
    public static final String NAME = OpenerRegistry.DEFAULT_VFS;
    /** The SQLite extension entry point of the native library. */
    public static final String ENTRY_POINT = "sqlite3_litestreamvfs_init";

    private static final Pattern VFS_NAME = Pattern.compile("[A-Za-z0-9_-]{1,63}");
    private static Path loaded;
    /**
     * The control handles {@link Registration#database} gave out and not yet closed, by VFS name: {@link
     * #unregister} closes them, so a forgotten handle never keeps an engine (its sync and compaction threads writing
     * into the replica and the buffer) running after the application let go of the VFS.
     */
    private static final Map<String, Set<LitestreamDatabase>> HANDLES = new ConcurrentHashMap<>();
    private static Path nativeLoaded;

    private LitestreamVfs() {
    }

    /**
     * Loads the native library into this JVM and registers the VFS {@code litestream} in sqlite-jdbc's SQLite.
     * Idempotent. The library comes from the jar, or from the file named by the system property
     * {@code ltx4j.vfs.library}.
     *
     * @return the path of the loaded library
     * @throws SQLException when the library cannot be loaded or registered
     */
    public static synchronized Path load() throws SQLException {
        if (loaded != null) return loaded;
        // Before the library is loaded: a refused copy must not System.load it (that pins its class loader).
        String claim = claimSqlite();
        try {
            Path lib = loadNative();
            Properties p = new Properties();
            p.setProperty("enable_load_extension", "true");
            try (Connection c = sqliteConnection("jdbc:sqlite::memory:", p);
                 PreparedStatement s = c.prepareStatement("select load_extension(?, ?)")) {
                s.setString(1, lib.toString());
                s.setString(2, ENTRY_POINT);
                s.executeQuery().close();
            }
            loaded = lib;
            return lib;
        } catch (IOException e) {
            unclaim(claim);
            throw new SQLException("cannot load the litestream VFS: " + e.getMessage(), e);
        } catch (SQLException | RuntimeException | Error e) {
            unclaim(claim); // nothing registered: a later copy of ltx4j may serve this sqlite-jdbc
            throw e;
        }
    }

    private static void unclaim(String claim) {
        if (claim != null) {
            dev.ltx4j.pagestore.storage.ProcessLocks.unclaim(claim, LitestreamVfs.class.getClassLoader());
        }
    }

    /**
     * One SQLite, one copy of ltx4j: SQLite's VFS names belong to the SQLite of one sqlite-jdbc copy, and the first
     * copy of ltx4j registered there keeps serving them (its native library never unloads while that SQLite may call
     * it). A sqlite-jdbc shared by several class loaders (a server's lib beside ltx4j in each web application, or an
     * application redeployed) got the second copy's load refused with an empty "error during initialization: "
     * (docs/class-loaders.md). The claim is undone when this copy's load fails.
     *
     * @return the claim to undo on failure, or null when there is no sqlite-jdbc to claim
     */
    private static String claimSqlite() throws SQLException {
        Driver d = SqliteDriver.INSTANCE;
        if (d == null) return null;
        ClassLoader sqlite = d.getClass().getClassLoader();
        String claim = "sqlite-jdbc@" + dev.ltx4j.pagestore.storage.ProcessLocks.describe(sqlite) + "/"
                + Integer.toHexString(System.identityHashCode(d.getClass()));
        String other = dev.ltx4j.pagestore.storage.ProcessLocks.claim(claim, LitestreamVfs.class.getClassLoader());
        if (other == null) return claim;
        throw new SQLException("cannot register the litestream VFS: the sqlite-jdbc loaded by class loader "
                + dev.ltx4j.pagestore.storage.ProcessLocks.describe(sqlite) + " already serves it from another copy"
                + " of ltx4j, loaded by class loader " + other + " (an earlier deployment of this application, or"
                + " another application sharing that sqlite-jdbc), which keeps it until the JVM exits. Load ltx4j by"
                + " the same class loader as sqlite-jdbc: both in the application (WEB-INF/lib), or both in the"
                + " server's shared lib");
    }

    /**
     * Loads the native library into this JVM without registering anything in SQLite (idempotent; {@link #load()}
     * reuses it). Its CRC-64 accelerator then serves every {@code dev.ltx4j.ltx.Crc64} checksum of the process
     * (docs/crc64-native.md); the CLI calls this for that alone.
     *
     * @return the path of the loaded library
     * @throws IOException when there is no library for this platform or it cannot be extracted
     */
    public static synchronized Path loadNative() throws IOException {
        if (nativeLoaded == null) {
            NativeLibrary.Located lib = NativeLibrary.locate();
            nativeLoaded = NativeLibrary.load(lib); // the file SQLite must load too (a private copy, perhaps)
            dev.ltx4j.vfs.internal.NativeCrc64.reportSettings(); // a bad width setting, now that logging may start
        }
        return nativeLoaded;
    }

    /**
     * Serves databases opened with {@code vfs=<vfsName>} from {@code opener}, replacing an earlier opener of that
     * name. Registers the VFS name in SQLite if needed (after {@link #load()}).
     *
     * @param vfsName 1 to 63 characters of {@code [A-Za-z0-9_-]}
     * @throws SQLException when the name is invalid or SQLite refuses it
     */
    public static synchronized void register(String vfsName, DatabaseOpener opener) throws SQLException {
        if (vfsName == null || !VFS_NAME.matcher(vfsName).matches()) {
            throw new SQLException("invalid VFS name '" + vfsName + "': use 1 to 63 of A-Z a-z 0-9 _ -");
        }
        load();
        OpenerRegistry.register(vfsName, opener);
        int rc = NativeBridge.registerVfs(vfsName);
        if (rc == 13) { // SQLITE_FULL from the shim: its table of VFS names is full
            throw new SQLException("cannot register the VFS '" + vfsName + "': this process already registered the most"
                    + " VFS names the litestream extension holds (512); reuse a name (register replaces its opener)");
        }
        if (rc != 0) throw new SQLException("SQLite refused to register the VFS '" + vfsName + "' (error " + rc + ")");
    }

    /** Starts configuring an engine-backed VFS (replica, write mode, intervals, buffer, durability, cache). */
    public static LitestreamVfsBuilder builder() {
        return new LitestreamVfsBuilder();
    }

    /** A VFS name registered by {@link LitestreamVfsBuilder#register}; builds URLs and data sources for it. */
    public static final class Registration {
        private final String vfsName;

        Registration(String vfsName) {
            this.vfsName = vfsName;
        }

        /** The VFS name, for {@code ?vfs=} in database URIs. */
        public String name() {
            return vfsName;
        }

        /** {@code jdbc:sqlite:file:<database>?vfs=<name>} plus URI parameters overriding the VFS settings. */
        public String jdbcUrl(Path database, Map<String, String> parameters) {
            return LitestreamVfs.jdbcUrl(database, vfsName, parameters);
        }

        /** {@code jdbc:sqlite:file:<database>?vfs=<name>}. */
        public String jdbcUrl(Path database) {
            return jdbcUrl(database, Map.of());
        }

        /**
         * A connection to {@code database} through this VFS. Unlike {@code DriverManager.getConnection(jdbcUrl(..))}
         * a refused open throws an {@link SQLException} that says why (missing setting, unknown URL scheme,
         * missing credentials, missing buffer directory, empty replica in read mode, ...).
         */
        public Connection connect(Path database) throws SQLException {
            return connect(database, Map.of());
        }

        /** {@link #connect(Path)} with URI parameters overriding the VFS settings. */
        public Connection connect(Path database, Map<String, String> parameters) throws SQLException {
            return LitestreamVfs.connect(jdbcUrl(database, parameters));
        }

        /** A data source on {@code database} for connection pools; see {@link LitestreamDataSource}. */
        public LitestreamDataSource dataSource(Path database) {
            return new LitestreamDataSource(jdbcUrl(database));
        }

        /**
         * A data source on {@code database} whose connections get the sqlite-jdbc {@code properties} (e.g.
         * {@code busy_timeout}, {@code foreign_keys}, {@code journal_mode}); see {@link LitestreamDataSource}.
         */
        public LitestreamDataSource dataSource(Path database, Properties properties) {
            return new LitestreamDataSource(jdbcUrl(database), properties);
        }

        /**
         * The control handle of {@code database} (status, sync, refresh, health, conflict retries); it opens the
         * database if no connection has (a refused open throws like {@link #connect(Path)}). Close it when done;
         * the database stays open while it or any connection is ({@link #unregister()} closes it at the latest). Health reports DEGRADED when committed
         * transactions wait more than 1 minute for upload.
         */
        public LitestreamDatabase database(Path database) throws SQLException {
            return database(database, Duration.ofMinutes(1));
        }

        /** {@link #database(Path)} with the upload lag beyond which {@link LitestreamDatabase#health()} is DEGRADED. */
        public LitestreamDatabase database(Path database, Duration maxLag) throws SQLException {
            if (maxLag == null || maxLag.isNegative()) throw new IllegalArgumentException("maxLag must be >= 0: " + maxLag);
            EngineConnector.clearLastOpened();
            try (Connection c = connect(database)) {
                // The open just made resolved the name SQLite uses; take our own reference before closing it.
                Set<LitestreamDatabase> open = HANDLES.computeIfAbsent(vfsName, n -> ConcurrentHashMap.newKeySet());
                LitestreamDatabase handle = new LitestreamDatabase(EngineConnector.attachLastOpened(), maxLag,
                        open::remove);
                open.add(handle);
                return handle;
            } catch (IOException e) {
                throw new SQLException("cannot attach to database " + database + " of VFS " + vfsName + ": "
                        + e.getMessage(), e);
            }
        }

        /**
         * Stops serving this name; later opens fail until it is registered again. Closes the control handles
         * {@link #database} gave out that are still open; once the last connection is closed too, the database is
         * closed when this returns (its background work ended: the replica and the buffer may be deleted or moved).
         */
        public void unregister() {
            LitestreamVfs.unregister(vfsName);
        }
    }

    /**
     * Removes the opener of {@code vfsName}; later opens through that name fail until one is registered again. Closes
     * the control handles {@link Registration#database} gave out for that name and still open (a close that fails,
     * e.g. a final sync that timed out, is logged: what was not uploaded stays buffered for the next open).
     */
    public static void unregister(String vfsName) {
        OpenerRegistry.unregister(vfsName);
        Set<LitestreamDatabase> open = HANDLES.remove(vfsName);
        if (open == null) return;
        for (LitestreamDatabase h : open) {
            try {
                h.close();
            } catch (SQLException | RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(LitestreamVfs.class).warn("unregistering VFS {}: {}", vfsName,
                        e.getMessage(), e);
            }
        }
    }

    /**
     * Counters of the native library since it was loaded, for benchmarks: {@code [xRead calls that went to Java,
     * xWrite calls, crossings into Java, write-lock hand-over waits, native page view hits, misses, fills, immediate
     * retries after a stale-snapshot refusal]} over every litestream database of the process.
     */
    public static long[] nativeCounters() {
        return NativeBridge.counters();
    }

    /**
     * Why the calling thread's last open through a litestream VFS failed. SQLite only reports
     * {@code SQLITE_CANTOPEN} ("unable to open database file") for a failed open; the reason is here, in
     * {@code sqlite3_log}, and on stderr in CLI/python hosts. Per thread, so concurrent opens never see each
     * other's reasons. {@link LitestreamDataSource} and {@link Registration#connect} put it into their exception.
     * An open that failed with {@code SQLITE_CORRUPT}
     * because the replica file holding the database header is corrupt also leaves its reason here (naming the
     * file).
     */
    public static Optional<String> lastOpenError() {
        return Optional.ofNullable(NativeBridge.lastOpenError());
    }

    /**
     * Opens a sqlite-jdbc connection to {@code url}; when the litestream VFS refused the open, the
     * {@link SQLException} says why (SQLite itself only says "unable to open database file"). The original
     * exception is the cause.
     */
    static Connection connect(String url) throws SQLException {
        return connect(url, new Properties());
    }

    /** {@link #connect(String)} with sqlite-jdbc connection properties. */
    static Connection connect(String url, Properties properties) throws SQLException {
        checkJdbcUrl(url);
        NativeBridge.clearLastOpenError();
        try {
            return sqliteConnection(url, properties);
        } catch (SQLException e) {
            String why = NativeBridge.lastOpenError();
            if (why == null) throw e;
            throw new SQLException(e.getMessage() + " [litestream: " + why + "]", e.getSQLState(), e.getErrorCode(), e);
        }
    }

    /**
     * A connection from the sqlite-jdbc that this library's class loader sees (whose SQLite {@link #load()} registers
     * the VFS in). Not through {@code DriverManager} alone: in an application server it offers a caller only drivers
     * registered from the caller's own loader, and a web application's copy of sqlite-jdbc registers itself only once
     * something initialises its driver class, so the first open failed with "No suitable driver"
     * (docs/class-loaders.md).
     */
    static Connection sqliteConnection(String url, Properties properties) throws SQLException {
        Driver d = SqliteDriver.INSTANCE;
        Connection c = d == null ? null : d.connect(url, properties);
        return c != null ? c : DriverManager.getConnection(url, properties);
    }

    /** sqlite-jdbc's driver from this library's class loader, or null when that loader does not see it. */
    private static final class SqliteDriver {
        static final Driver INSTANCE = find();

        private static Driver find() {
            try {
                return (Driver) Class.forName("org.sqlite.JDBC", true, LitestreamVfs.class.getClassLoader())
                        .getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
                return null;
            }
        }
    }

    /**
     * Refuses a hand-written sqlite-jdbc URL that asks for a VFS without the {@code file:} prefix, such as
     * {@code jdbc:sqlite:/srv/app.db?vfs=litestream}: sqlite-jdbc only reads URI parameters of a {@code file:} URI,
     * so that URL silently opens (or creates) a plain local file named {@code app.db?vfs=litestream} through the
     * default VFS, and nothing is ever replicated. Other URLs pass unchanged.
     *
     * @return {@code url}
     * @throws SQLException naming the URL and the fix ({@link Registration#jdbcUrl} builds correct URLs)
     */
    public static String checkJdbcUrl(String url) throws SQLException {
        if (url == null) throw new SQLException("JDBC URL is null");
        if (!url.startsWith("jdbc:sqlite:")) return url;
        String rest = url.substring("jdbc:sqlite:".length());
        if (rest.startsWith("file:") || rest.startsWith(":memory:") && rest.indexOf('?') < 0) return url;
        int q = rest.indexOf('?');
        if (q < 0) return url;
        Matcher vfs = Pattern.compile("(?:^|&)vfs=([^&#]*)").matcher(rest.substring(q + 1));
        if (vfs.find()) {
            // Only the path and the VFS name are echoed: other parameters (replica_url) may hold credentials.
            String path = rest.substring(0, q);
            String shown = path + "?vfs=" + vfs.group(1) + (rest.length() > q + 5 + vfs.group(1).length() ? "&..." : "");
            throw new SQLException("JDBC URL 'jdbc:sqlite:" + shown + "' names a VFS without the 'file:' prefix:"
                    + " sqlite-jdbc would open a plain local file named '" + shown.substring(path.lastIndexOf('/') + 1)
                    + "' with the default VFS and replicate nothing; write 'jdbc:sqlite:file:" + shown
                    + "' (Registration.jdbcUrl(path) builds it, encoding what needs it)");
        }
        return url;
    }

    /**
     * A sqlite-jdbc URL opening {@code database} through VFS {@code vfsName}, with extra URI parameters (e.g.
     * {@code replica_url}). Characters that URIs reserve are percent-encoded.
     */
    public static String jdbcUrl(Path database, String vfsName, Map<String, String> parameters) {
        StringBuilder b = new StringBuilder("jdbc:sqlite:file:").append(encode(database.toString(), "?#"))
                .append("?vfs=").append(encode(vfsName, "&=#"));
        parameters.forEach((k, v) -> b.append('&').append(encode(k, "&=#")).append('=').append(encode(v, "&=#")));
        return b.toString();
    }

    private static String encode(String s, String reserved) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (x & 0xFF);
            if (c == '%' || c <= ' ' || c >= 0x7F || reserved.indexOf(c) >= 0) b.append(String.format("%%%02X", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
