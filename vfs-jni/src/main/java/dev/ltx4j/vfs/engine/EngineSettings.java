package dev.ltx4j.vfs.engine;

import dev.ltx4j.pagestore.BufferPathException;
import dev.ltx4j.pagestore.BufferRecovery;
import dev.ltx4j.pagestore.Durability;
import dev.ltx4j.compaction.CompactionSettings;
import dev.ltx4j.replica.EngineClock;
import dev.ltx4j.replica.support.ByteSizes;
import dev.ltx4j.syncer.CompactionOptions;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.syncer.Settings;
import dev.ltx4j.vfs.OpenOptions;
import dev.ltx4j.vfs.VfsConfigurationException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The settings of one database open, resolved in this order: URI parameter, the value configured on the VFS
 * (builder), the environment variable, the default. Every error names the parameter or variable it came from.
 */
public final class EngineSettings {
    /** URI parameter → environment variable of every setting the engine reads. */
    public static final Map<String, String> VARIABLES = Map.of(
            "replica_url", "LITESTREAM_REPLICA_URL",
            "write_enabled", "LITESTREAM_WRITE_ENABLED",
            "sync_interval", "LITESTREAM_SYNC_INTERVAL",
            "buffer_path", "LITESTREAM_BUFFER_PATH",
            "durability", "LITESTREAM_DURABILITY",
            "cache_size", "LITESTREAM_CACHE_SIZE",
            "poll_interval", "LITESTREAM_POLL_INTERVAL",
            "poll_backoff", "LITESTREAM_POLL_BACKOFF",
            "buffer_recovery", "LITESTREAM_BUFFER_RECOVERY");

    private final OpenOptions options;
    private final Map<String, String> configured;

    /**
     * @param options    the open's URI parameters and environment
     * @param configured values set on the VFS in Java, keyed by URI parameter name
     */
    public EngineSettings(OpenOptions options, Map<String, String> configured) {
        this.options = options;
        this.configured = Map.copyOf(configured);
    }

    private Optional<String> value(String parameter) {
        String v = options.uriParameters().get(parameter);
        if (v != null && !v.isBlank()) return Optional.of(v.trim());
        v = configured.get(parameter);
        if (v != null && !v.isBlank()) return Optional.of(v.trim());
        return options.setting(parameter, variable(parameter));
    }

    /** The environment variable of a URI parameter (the engine's, hydration's, or compaction's). */
    private static String variable(String parameter) {
        String v = VARIABLES.get(parameter);
        if (v != null) return v;
        if (parameter.equals("hydration_enabled")) return "LITESTREAM_HYDRATION_ENABLED";
        v = LocalCopySettings.VARIABLES.get(parameter);
        return v != null ? v : CompactionOptions.VARIABLES.get(parameter);
    }

    /** Where the value of {@code parameter} came from, for messages: URI parameter, VFS setting or variable. */
    String sourceOf(String parameter) {
        return source(parameter);
    }

    private String source(String parameter) {
        String v = options.uriParameters().get(parameter);
        if (v != null && !v.isBlank()) return "URI parameter " + parameter;
        v = configured.get(parameter);
        if (v != null && !v.isBlank()) return "VFS setting " + parameter;
        return "environment variable " + variable(parameter);
    }

    /**
     * Compaction, snapshots and retention of a writer: {@code compaction} (on/off), {@code compaction_intervals}
     * ({@code 30s,5m,1h}), {@code snapshot_interval} (24h, 0 = none), {@code retention} (24h, 0 = keep
     * everything), {@code retention_grace} (15m). Read mode never runs them.
     */
    public CompactionSettings compaction() throws VfsConfigurationException {
        try {
            return CompactionOptions.parse(this::value, this::source);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new VfsConfigurationException(e.getMessage());
        }
    }

    /** The replica URL; required. */
    public String replicaUrl(String database) throws VfsConfigurationException {
        return value("replica_url").orElseThrow(() -> new VfsConfigurationException(
                "LITESTREAM_REPLICA_URL is not set (nor the replica_url URI parameter)"));
    }

    /** Whether a replica URL is set anywhere. */
    public boolean hasReplicaUrl() {
        return value("replica_url").isPresent();
    }

    public boolean writeEnabled() throws VfsConfigurationException {
        Optional<String> v = value("write_enabled");
        if (v.isEmpty()) return false;
        switch (v.get().toLowerCase(Locale.ROOT)) {
            // A read-only open (sqlite3 -readonly, mode=ro, SQLiteConfig.setReadOnly) never starts a writer: it reads
            // as a follower, so it neither takes the write buffer a writing process owns nor syncs or compacts.
            case "true": case "1": case "on": case "yes": return !readOnlyOpen();
            case "false": case "0": case "off": case "no": return false;
            default: throw new VfsConfigurationException(source("write_enabled") + " must be true or false, not '"
                    + v.get() + "'");
        }
    }

    /** Whether SQLite opens the database read-only ({@code SQLITE_OPEN_READONLY}): never a writer. */
    boolean readOnlyOpen() {
        return options.readOnly();
    }

    /** The sync interval (write mode); positive: zero or negative is refused, never taken to mean "off". */
    public Duration syncInterval() throws VfsConfigurationException {
        return duration("sync_interval", Duration.ofSeconds(1));
    }

    /** The poll interval (read mode); positive, like {@link #syncInterval()}. */
    public Duration pollInterval() throws VfsConfigurationException {
        return duration("poll_interval", Duration.ofSeconds(1));
    }

    /**
     * The adaptive poll's largest factor (read mode): {@code off} (default) = 1, {@code on} = 8, or {@code 2..64}
     * (docs/request-economy-follower.md).
     */
    public int pollBackoff() throws VfsConfigurationException {
        Optional<String> v = value("poll_backoff");
        if (v.isEmpty()) return 1;
        try {
            return Settings.parsePollBackoff(source("poll_backoff"), v.get());
        } catch (IllegalArgumentException e) {
            throw new VfsConfigurationException(e.getMessage());
        }
    }

    private Duration duration(String parameter, Duration dflt) throws VfsConfigurationException {
        Optional<String> v = value(parameter);
        if (v.isEmpty()) return dflt;
        try {
            return Settings.parseDuration(source(parameter), v.get());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new VfsConfigurationException(e.getMessage());
        }
    }

    /** The buffer file; its directory must exist and be writable. */
    public Optional<Path> bufferPath() throws VfsConfigurationException {
        Optional<String> v = value("buffer_path");
        if (v.isEmpty()) return Optional.empty();
        Path p;
        try {
            String home = options.environmentVariable("HOME").orElse(null);
            p = Path.of(homeExpanded(v.get(), home, System.getProperty("user.home"), source("buffer_path")))
                    .toAbsolutePath();
        } catch (InvalidPathException e) {
            throw new VfsConfigurationException(source("buffer_path") + " is not a valid path: '" + v.get() + "'");
        }
        if (Files.isDirectory(p)) {
            throw new VfsConfigurationException(source("buffer_path") + " " + p + " is a directory; it must name the"
                    + " write buffer file, e.g. " + p.resolve("app.ltx4j-buffer"));
        }
        Path dir = p.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new VfsConfigurationException(source("buffer_path") + " " + p + ": directory " + dir
                    + " does not exist");
        }
        if (!Files.exists(p) && !Files.isWritable(dir)) {
            // The file is yet to be created: the directory is what the user must fix (field probe round 8).
            throw new VfsConfigurationException(source("buffer_path") + " " + p + ": directory " + dir
                    + " is not writable (" + notWritableDirectoryReason(dir) + "); the buffer's directory must exist"
                    + " and be writable by this process");
        }
        if (!Files.isWritable(dir) || (Files.exists(p) && !Files.isWritable(p))) {
            throw new VfsConfigurationException(source("buffer_path") + " " + p + " is not writable"
                    + (Files.exists(p) ? "; " + notWritableReason(p) : ""));
        }
        return Optional.of(p);
    }

    /**
     * Another user's buffer is theirs to run; one of this user's on a read-only disk still holds its transactions.
     * Told by numeric uid: in a container without a passwd entry the owner's name is "1000" and user.name is "?".
     */
    private static String notWritableReason(Path p) {
        try {
            int me = processUid();
            if (me < 0) { // no /proc (macOS): names, as the best left
                String owner = Files.getOwner(p).getName();
                String user = System.getProperty("user.name");
                if (!owner.equals(user)) {
                    return "it belongs to " + owner + ", not to " + user + " who runs this process";
                }
            } else {
                int owner = (Integer) Files.getAttribute(p, "unix:uid");
                if (owner != me) {
                    return "it belongs to uid " + owner + " (" + Files.getOwner(p).getName() + "), not to uid " + me
                            + " who runs this process";
                }
            }
        } catch (IOException | RuntimeException e) {
            // no owner to tell: give the read-only disk advice
        }
        return BufferPathException.keptTransactionsAdvice(p);
    }

    /** Why a directory cannot be written: a read-only file system, another owner, or its mode. */
    private static String notWritableDirectoryReason(Path dir) {
        try {
            if (Files.getFileStore(dir).isReadOnly()) return "it is on a read-only file system";
            int me = processUid();
            int owner = me < 0 ? -1 : (Integer) Files.getAttribute(dir, "unix:uid");
            String mode = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir));
            return owner != me ? "it belongs to uid " + owner + " (" + Files.getOwner(dir).getName() + "), mode "
                    + mode + ", not to uid " + me + " who runs this process" : "mode " + mode;
        } catch (IOException | RuntimeException e) {
            return "permission denied";
        }
    }

    /** The process's effective uid from /proc/self/status, or -1 where there is none (not Linux). */
    private static int processUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).strip().split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /**
     * A leading {@code ~} or {@code ~/} as the user's home directory, as Litestream's configuration expands it: an
     * environment file or a container's {@code environment:} list passes it unexpanded, and a directory named
     * {@code ~} under the working directory is never what was meant.
     *
     * @param homeVariable {@code HOME} of the open's environment (null or empty: unset), which wins, as in Go's
     *                     {@code os.UserHomeDir} (Litestream) and the shell
     * @param userHome     {@code user.home}, used only without {@code HOME}: Java 17 takes it from the passwd entry,
     *                     {@code "?"} without one (a container run with a numeric user)
     */
    public static String homeExpanded(String path, String homeVariable, String userHome, String source)
            throws VfsConfigurationException {
        return homeExpanded(path, homeVariable, userHome, source, Path.of("/etc/passwd"));
    }

    /**
     * As {@link #homeExpanded(String, String, String, String)}, and {@code ~user/...} as the home directory of
     * {@code user}'s entry in {@code passwd}, as a shell expands it (a directory named {@code ~user} under the
     * working directory is never what was meant). Java cannot ask the C library (NSS: LDAP, sssd), so a user missing
     * from the local passwd file is refused naming the path, not taken literally as a shell would (round 9).
     */
    public static String homeExpanded(String path, String homeVariable, String userHome, String source, Path passwd)
            throws VfsConfigurationException {
        if (path.startsWith("~") && !path.equals("~") && !path.startsWith("~/")) {
            return userHomeExpanded(path, source, passwd);
        }
        if (!path.equals("~") && !path.startsWith("~/")) return path;
        boolean hasHome = homeVariable != null && !homeVariable.isEmpty();
        String home = hasHome ? homeVariable : userHome;
        if (home == null || !home.startsWith("/")) {
            throw new VfsConfigurationException(source + " '" + path + "' starts with ~, but HOME is unset or not"
                    + " absolute" + (hasHome ? " ('" + homeVariable + "')" : " and uid " + processUid()
                    + " has no home directory in its passwd entry (user.home is '" + userHome + "')")
                    + ": set HOME or give an absolute path");
        }
        return home + path.substring(1);
    }

    private static String userHomeExpanded(String path, String source, Path passwd)
            throws VfsConfigurationException {
        int slash = path.indexOf('/');
        String user = slash < 0 ? path.substring(1) : path.substring(1, slash);
        String rest = slash < 0 ? "" : path.substring(slash);
        String home = null;
        try {
            // ISO-8859-1: any byte is a character, so a Latin-1 comment (GECOS) field cannot fail the read.
            for (String line : Files.readAllLines(passwd, java.nio.charset.StandardCharsets.ISO_8859_1)) {
                String[] f = line.split(":", -1);
                if (f.length >= 6 && f[0].equals(user)) {
                    home = f[5];
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            VfsConfigurationException refused = new VfsConfigurationException(source + " '" + path + "' starts with ~"
                    + user + ", but " + passwd + " cannot be read to find that user's home directory ("
                    + dev.ltx4j.replica.internal.UserMessages.describe(e) + "): give an absolute path");
            refused.initCause(e);
            throw refused;
        }
        if (home == null) {
            throw new VfsConfigurationException(source + " '" + path + "' starts with ~" + user + ", but there is no"
                    + " user '" + user + "' in " + passwd + " (a ~user path is that user's home directory, looked up"
                    + " in the local passwd file only): give an absolute path");
        }
        if (!home.startsWith("/")) {
            throw new VfsConfigurationException(source + " '" + path + "' starts with ~" + user + ", but user '"
                    + user + "' has no absolute home directory in " + passwd + " ('" + home + "'): give an absolute"
                    + " path");
        }
        return home + rest;
    }

    public Durability durability() throws VfsConfigurationException {
        Optional<String> v = value("durability");
        if (v.isEmpty()) return Durability.LOCAL;
        switch (v.get().toLowerCase(Locale.ROOT)) {
            case "local": return Durability.LOCAL;
            case "remote": return Durability.REMOTE;
            case "none": return Durability.NONE;
            default: throw new VfsConfigurationException(source("durability") + " must be local, remote or none, not '"
                    + v.get() + "'");
        }
    }

    /**
     * What opening does with a damaged write buffer: {@code refuse} (default) or {@code truncate-damaged} (keep a
     * copy, recover the committed prefix; see docs/write-buffer-recovery.md).
     */
    public BufferRecovery bufferRecovery() throws VfsConfigurationException {
        Optional<String> v = value("buffer_recovery");
        if (v.isEmpty()) return BufferRecovery.REFUSE;
        try {
            return BufferRecovery.parse(v.get());
        } catch (IllegalArgumentException e) {
            throw new VfsConfigurationException(source("buffer_recovery") + " must be refuse or truncate-damaged, not '"
                    + v.get() + "'");
        }
    }

    /**
     * Page cache bytes: a size as {@link ByteSizes} reads it ({@code 10485760}, {@code 64k}, {@code 16MiB}). Default
     * 10 MiB.
     */
    public long cacheBytes() throws VfsConfigurationException {
        return size("cache_size", 10L << 20);
    }

    /** Hydration and on-disk page cache settings (docs/hydration.md). */
    public dev.ltx4j.syncer.HydrationOptions hydration() throws VfsConfigurationException {
        return LocalCopySettings.read(new LocalCopySettings.Values() {
            @Override
            public Optional<String> value(String parameter) {
                return EngineSettings.this.value(parameter);
            }

            @Override
            public String source(String parameter) {
                return EngineSettings.this.source(parameter);
            }
        }, p -> size(p, 0));
    }

    private long size(String parameter, long dflt) throws VfsConfigurationException {
        Optional<String> v = value(parameter);
        if (v.isEmpty()) return dflt;
        try {
            return ByteSizes.parse(source(parameter), v.get());
        } catch (IllegalArgumentException e) {
            throw new VfsConfigurationException(e.getMessage());
        }
    }

    /** Engine options for a database of {@code replicaIdentity}. */
    public EngineOptions engineOptions(String replicaIdentity) throws VfsConfigurationException {
        return engineOptions(replicaIdentity, Clock.systemUTC());
    }

    /**
     * The engine's options with {@code wall} as the engine's wall time (commit records, LTX timestamps, status
     * times, conflict files); monotonic time and waits stay the system's, which a {@link Clock} cannot give.
     */
    public EngineOptions engineOptions(String replicaIdentity, Clock wall) throws VfsConfigurationException {
        return engineOptions(replicaIdentity, wall, Optional.empty());
    }

    /** {@link #engineOptions(String, Clock)} with {@code defaultBuffer} as the buffer when none is configured. */
    public EngineOptions engineOptions(String replicaIdentity, Clock wall, Optional<Path> defaultBuffer)
            throws VfsConfigurationException {
        EngineOptions.Builder b = EngineOptions.builder()
                .clock(Clock.systemUTC().equals(wall) ? EngineClock.system()
                        : EngineClock.of(wall, System::nanoTime, d -> TimeUnit.NANOSECONDS.sleep(d.toNanos())))
                .replicaIdentity(replicaIdentity)
                .writeEnabled(writeEnabled())
                .durability(durability())
                .bufferRecovery(bufferRecovery())
                .cacheBytes(cacheBytes());
        b.syncInterval(syncInterval());
        b.pollInterval(pollInterval());
        b.pollBackoff(pollBackoff());
        bufferPath().or(() -> defaultBuffer).ifPresent(b::bufferPath);
        b.hydration(hydration());
        b.compaction(compaction());
        return b.build();
    }

    /** True when the background sync (write mode) or poll (read mode) should run: always, intervals are positive. */
    public boolean scheduled() throws VfsConfigurationException {
        return (writeEnabled() ? syncInterval() : pollInterval()) != null;
    }
}
