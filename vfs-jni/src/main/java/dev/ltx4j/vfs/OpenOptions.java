package dev.ltx4j.vfs;

import dev.ltx4j.replica.support.GoDurations;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How a database is being opened: SQLite's open flags plus the per-database settings.
 *
 * <p>Each setting is taken from the database URI parameter first, then from the environment variable, e.g.
 * {@code file:app.db?vfs=litestream&replica_url=s3://bucket/app.db&sync_interval=500ms}:
 * <table>
 *   <caption>settings</caption>
 *   <tr><th>URI parameter</th><th>environment</th><th>default</th></tr>
 *   <tr><td>replica_url</td><td>LITESTREAM_REPLICA_URL</td><td>none</td></tr>
 *   <tr><td>write_enabled</td><td>LITESTREAM_WRITE_ENABLED</td><td>false</td></tr>
 *   <tr><td>sync_interval</td><td>LITESTREAM_SYNC_INTERVAL</td><td>1s</td></tr>
 *   <tr><td>buffer_path</td><td>LITESTREAM_BUFFER_PATH</td><td>none (engine's choice)</td></tr>
 *   <tr><td>compaction</td><td>LITESTREAM_COMPACTION</td><td>on (write mode only)</td></tr>
 *   <tr><td>compaction_intervals</td><td>LITESTREAM_COMPACTION_INTERVALS</td><td>30s,5m,1h</td></tr>
 *   <tr><td>snapshot_interval</td><td>LITESTREAM_SNAPSHOT_INTERVAL</td><td>24h (0: none)</td></tr>
 *   <tr><td>retention</td><td>LITESTREAM_RETENTION</td><td>24h (0: keep everything)</td></tr>
 *   <tr><td>retention_grace</td><td>LITESTREAM_RETENTION_GRACE</td><td>15m</td></tr>
 * </table>
 * Getters validate lazily and throw {@link VfsConfigurationException} naming the parameter or variable.
 */
public final class OpenOptions {
    /** {@code SQLITE_OPEN_READONLY}. */
    public static final int SQLITE_OPEN_READONLY = 0x1;
    /** {@code SQLITE_OPEN_READWRITE}. */
    public static final int SQLITE_OPEN_READWRITE = 0x2;
    /** {@code SQLITE_OPEN_CREATE}. */
    public static final int SQLITE_OPEN_CREATE = 0x4;


    private final int flags;
    private final Map<String, String> uriParameters;
    private final Map<String, String> environment;

    /**
     * @param flags         SQLite's {@code SQLITE_OPEN_*} flags for this open
     * @param uriParameters the database URI's query parameters, in order (the {@code vfs} parameter included)
     * @param environment   the environment for fallbacks, normally {@link System#getenv()}
     */
    public OpenOptions(int flags, Map<String, String> uriParameters, Map<String, String> environment) {
        this.flags = flags;
        this.uriParameters = Collections.unmodifiableMap(new LinkedHashMap<>(uriParameters));
        this.environment = Map.copyOf(Objects.requireNonNull(environment, "environment"));
    }

    /** SQLite's raw {@code SQLITE_OPEN_*} flags. */
    public int flags() {
        return flags;
    }

    /** True when SQLite opens the database read-only. */
    public boolean readOnly() {
        return (flags & SQLITE_OPEN_READWRITE) == 0;
    }

    /** True when SQLite may create the database ({@code SQLITE_OPEN_CREATE}). */
    public boolean create() {
        return (flags & SQLITE_OPEN_CREATE) != 0;
    }

    /** All URI query parameters as given (unvalidated), for engine-specific settings. */
    public Map<String, String> uriParameters() {
        return uriParameters;
    }

    /** A setting: the URI parameter, else the environment variable, else empty. Blank counts as unset. */
    public Optional<String> setting(String uriParameter, String environmentVariable) {
        String v = uriParameters.get(uriParameter);
        if (v == null || v.isBlank()) v = environment.get(environmentVariable);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    /** An environment variable of this open's environment (the one every setting falls back to); blank is unset. */
    public Optional<String> environmentVariable(String name) {
        String v = environment.get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v);
    }

    /** {@code replica_url} / {@code LITESTREAM_REPLICA_URL}. */
    public Optional<String> replicaUrl() {
        return setting("replica_url", "LITESTREAM_REPLICA_URL");
    }

    /** {@code write_enabled} / {@code LITESTREAM_WRITE_ENABLED}: true/false, 1/0, on/off, yes/no; default false. */
    public boolean writeEnabled() throws VfsConfigurationException {
        Optional<String> v = setting("write_enabled", "LITESTREAM_WRITE_ENABLED");
        if (v.isEmpty()) return false;
        switch (v.get().toLowerCase(Locale.ROOT)) {
            case "true": case "1": case "on": case "yes": return true;
            case "false": case "0": case "off": case "no": return false;
            default: throw new VfsConfigurationException(source("write_enabled", "LITESTREAM_WRITE_ENABLED")
                    + " must be true or false, not '" + v.get() + "'");
        }
    }

    /**
     * {@code sync_interval} / {@code LITESTREAM_SYNC_INTERVAL} as a Go-style duration ({@code 100ms}, {@code 1s},
     * {@code 1m30s}, {@code 1.5s}); default 1s. Must be positive: zero or negative is refused, not taken as "never".
     */
    public Duration syncInterval() throws VfsConfigurationException {
        Optional<String> v = setting("sync_interval", "LITESTREAM_SYNC_INTERVAL");
        if (v.isEmpty()) return Duration.ofSeconds(1);
        try {
            return GoDurations.setting(source("sync_interval", "LITESTREAM_SYNC_INTERVAL"), v.get());
        } catch (IllegalArgumentException e) {
            throw new VfsConfigurationException(e.getMessage());
        }
    }

    /** {@code buffer_path} / {@code LITESTREAM_BUFFER_PATH}. */
    public Optional<Path> bufferPath() throws VfsConfigurationException {
        Optional<String> v = setting("buffer_path", "LITESTREAM_BUFFER_PATH");
        try {
            return v.map(Path::of);
        } catch (InvalidPathException e) {
            throw new VfsConfigurationException(source("buffer_path", "LITESTREAM_BUFFER_PATH")
                    + " is not a valid path: '" + v.orElse("") + "'");
        }
    }

    /** Names where a setting's current value came from, for error messages. */
    public String source(String uriParameter, String environmentVariable) {
        String v = uriParameters.get(uriParameter);
        return v != null && !v.isBlank() ? "URI parameter " + uriParameter : "environment variable " + environmentVariable;
    }
}
