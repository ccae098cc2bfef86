package dev.ltx4j.vfs;

import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.pagestore.BufferRecovery;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.syncer.CompactionOptions;
import dev.ltx4j.vfs.engine.EngineConnector;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Configures and registers an engine-backed litestream VFS in sqlite-jdbc:
 *
 * <pre>{@code
 * LitestreamVfs.Registration vfs = LitestreamVfs.builder()
 *         .replica("s3://bucket/app.db")          // or .replica(ReplicaClient)
 *         .writeEnabled(true)
 *         .syncInterval(Duration.ofSeconds(1))
 *         .bufferPath(Path.of("/var/lib/app/buffer"))
 *         .durability(Durability.LOCAL)
 *         .register("litestream");
 * Connection c = DriverManager.getConnection("jdbc:sqlite:file:app.db?vfs=litestream");
 * DataSource pool = vfs.dataSource(Path.of("app.db"));
 * }</pre>
 *
 * Values set here are the VFS's defaults: a URI parameter of the same name (e.g. {@code sync_interval}) still
 * overrides them per database, and unset ones fall back to the {@code LITESTREAM_*} environment variables.
 */
public final class LitestreamVfsBuilder {
    private final Map<String, String> settings = new LinkedHashMap<>();
    private ReplicaClient client;
    private String clientIdentity;
    private Clock clock = Clock.systemUTC();
    private ReplicaEnvironment environment;

    LitestreamVfsBuilder() {
    }

    /** The replica URL ({@code file://}, {@code s3://}, {@code abs://}, as the installed backends allow). */
    public LitestreamVfsBuilder replica(String url) {
        settings.put("replica_url", Objects.requireNonNull(url, "url"));
        client = null;
        return this;
    }

    /**
     * A replica client built in code. The caller keeps ownership (closes it after the VFS is done).
     *
     * @param identity a stable name of this replica, e.g. its canonical identity
     *                 ({@code ReplicaClients.canonicalIdentity(url, env)}): one engine is shared per identity in the
     *                 process (whatever the database path), and the default buffer location derives from it. It is
     *                 used as given: two identities for one store are two engines (two writers would conflict)
     */
    public LitestreamVfsBuilder replica(ReplicaClient client, String identity) {
        this.client = Objects.requireNonNull(client, "client");
        this.clientIdentity = Objects.requireNonNull(identity, "identity");
        settings.remove("replica_url");
        return this;
    }

    /**
     * What {@link #replica(String) replica URLs} are opened with, e.g. credential providers in code:
     * {@code ReplicaEnvironment.system().with(AwsCredentialsProvider.class, provider)} (docs/credentials.md).
     * Default: the process environment. Clients opened with this environment are not shared with other
     * registrations; a database already open in this process under the same URL keeps the client it was opened with.
     */
    public LitestreamVfsBuilder replicaEnvironment(ReplicaEnvironment env) {
        this.environment = Objects.requireNonNull(env, "env");
        return this;
    }

    /** Write mode (default false: read-only follower of the replica). */
    public LitestreamVfsBuilder writeEnabled(boolean on) {
        settings.put("write_enabled", Boolean.toString(on));
        return this;
    }

    /**
     * How often committed transactions are uploaded (write mode); default 1s. Must be at least 1ms: to sync
     * rarely use a long interval and {@code SELECT litestream_sync()} (closing the last connection syncs too).
     */
    public LitestreamVfsBuilder syncInterval(Duration d) {
        settings.put("sync_interval", goDuration("syncInterval", d));
        return this;
    }

    /** How often a read-mode database checks the replica; default 1s. Must be at least 1ms. */
    public LitestreamVfsBuilder pollInterval(Duration d) {
        settings.put("poll_interval", goDuration("pollInterval", d));
        return this;
    }

    /**
     * Adaptive poll of a read-mode database (URI parameter {@code poll_backoff}, LITESTREAM_POLL_BACKOFF): while the
     * replica stays idle the poll interval doubles every few quiet polls up to {@code maxFactor} times it, and
     * returns to it on any change or read transaction; 1 (the default) is off, at most 64.
     */
    public LitestreamVfsBuilder pollBackoff(int maxFactor) {
        if (maxFactor < 1 || maxFactor > 64) {
            throw new IllegalArgumentException("pollBackoff must be from 1 (off) to 64, not " + maxFactor);
        }
        settings.put("poll_backoff", Integer.toString(maxFactor));
        return this;
    }

    /**
     * The write buffer file; its directory must exist. Default: a private file under the temp directory. A leading
     * {@code ~} or {@code ~user} is a home directory, as in {@code LITESTREAM_BUFFER_PATH}.
     */
    public LitestreamVfsBuilder bufferPath(Path p) {
        String s = p.toString();
        settings.put("buffer_path", s.startsWith("~") ? s : p.toAbsolutePath().toString());
        return this;
    }

    /** When a commit returns: LOCAL (fsynced buffer, default), REMOTE (uploaded), NONE (in the OS cache). */
    public LitestreamVfsBuilder durability(Durability d) {
        settings.put("durability", d.name().toLowerCase(Locale.ROOT));
        return this;
    }

    /**
     * What opening does with a damaged write buffer: REFUSE (default; the open fails naming the buffer and the
     * offset) or TRUNCATE_DAMAGED (keep a copy, recover the committed prefix). See docs/write-buffer-recovery.md.
     */
    public LitestreamVfsBuilder bufferRecovery(BufferRecovery r) {
        settings.put("buffer_recovery", r.configName());
        return this;
    }

    /** Page cache size in bytes per database; default 10 MiB. */
    public LitestreamVfsBuilder cacheSize(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("cacheSize must not be negative: " + bytes);
        settings.put("cache_size", Long.toString(bytes));
        return this;
    }

    /**
     * Hydration (docs/hydration.md): keep a full local copy of each database, verified against the replica, and
     * serve reads from it once complete. Off by default.
     */
    public LitestreamVfsBuilder hydration(boolean on) {
        settings.put("hydration", on ? "on" : "off");
        return this;
    }

    /** Where the hydrated file lives (hydration_path); default {@code <buffer>.hydrated} next to the buffer. */
    public LitestreamVfsBuilder hydrationPath(Path p) {
        settings.put("hydration_path", p.toAbsolutePath().toString());
        return this;
    }

    /**
     * Without hydration: an on-disk page cache of at most {@code bytes}, kept across restarts, in {@code dir} (null:
     * next to the buffer). See docs/hydration.md.
     */
    public LitestreamVfsBuilder diskCache(long bytes, Path dir) {
        if (bytes < 0) throw new IllegalArgumentException("diskCache bytes must not be negative: " + bytes);
        settings.put("disk_cache_size", Long.toString(bytes));
        if (dir != null) settings.put("disk_cache_path", dir.toAbsolutePath().toString());
        return this;
    }

    /**
     * Compaction, level-9 snapshots and retention run by a writer; default {@link CompactionSettings#defaults()}
     * (L1 every 30s, L2 5m, L3 1h, a snapshot a day, retention 24h with a 15m grace), {@link CompactionSettings#off()}
     * to switch all three off. URI parameters ({@code compaction}, {@code compaction_intervals},
     * {@code snapshot_interval}, {@code retention}, {@code retention_grace}) override it per database.
     */
    public LitestreamVfsBuilder compaction(CompactionSettings s) {
        settings.putAll(CompactionOptions.toParameters(Objects.requireNonNull(s, "compaction")));
        return this;
    }

    /**
     * The engine's wall time: commit times, LTX file timestamps, status times, time travel and conflict files (tests
     * inject one; default UTC system time). A database already open in this process through another registration
     * keeps the clock it was opened with.
     */
    public LitestreamVfsBuilder clock(Clock c) {
        this.clock = Objects.requireNonNull(c, "clock");
        return this;
    }

    /**
     * Loads the native library if needed and serves databases opened with {@code vfs=<vfsName>} from this
     * configuration, replacing an earlier registration of that name.
     *
     * @throws SQLException when the name is invalid or the VFS cannot be installed
     */
    public LitestreamVfs.Registration register(String vfsName) throws SQLException {
        EngineConnector connector = new EngineConnector(settings, client, clientIdentity, clock, environment);
        LitestreamVfs.register(vfsName, connector::open);
        return new LitestreamVfs.Registration(vfsName);
    }

    private static String goDuration(String what, Duration d) {
        Objects.requireNonNull(d, what);
        if (d.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException(what + " must be at least 1ms, not " + d
                    + " (zero or negative does not switch it off)");
        }
        return d.toNanos() + "ns";
    }
}
