package dev.ltx4j.vfs.engine;

import dev.ltx4j.pagestore.BufferLockedException;
import dev.ltx4j.pagestore.BufferPathException;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaClients;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaException;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.syncer.Database;
import dev.ltx4j.syncer.DatabaseRegistry;
import dev.ltx4j.syncer.EngineClientStack;
import dev.ltx4j.syncer.EngineOptions;
import dev.ltx4j.vfs.OpenOptions;
import dev.ltx4j.vfs.VfsConfigurationException;
import dev.ltx4j.vfs.VfsDatabase;
import dev.ltx4j.vfs.internal.NativeBridge;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens connection handles on engine databases: resolves settings, opens (and caches, one per URL) the replica
 * client, and shares one {@link Database} per replica (its backend's canonical identity, whatever the URL's spelling
 * or the local path) through the {@link DatabaseRegistry}; {@link EngineKeys} decides whether an open may join.
 */
public final class EngineConnector {
    /** Backends by (environment, URL); a builder's own environment is compared by identity, so never shared. */
    private static final Map<ClientKey, ReplicaClient> CLIENTS = new ConcurrentHashMap<>();
    /** Canonical replica identities by (environment, URL as spelled). */
    private static final Map<ClientKey, String> IDENTITIES = new ConcurrentHashMap<>();
    /** What the calling thread's last successful open resolved to (see {@link #attachLastOpened()}). */
    private static final ThreadLocal<Opened> LAST_OPENED = new ThreadLocal<>();

    private record Opened(String identity, String name, Clock clock) {}

    /** {@code environment} null means the process environment. */
    private record ClientKey(ReplicaEnvironment environment, String url) {}

    private final Map<String, String> configured;
    private final ReplicaClient fixedClient;
    private final String fixedIdentity;
    private final Clock clock;
    private final ReplicaEnvironment environment;

    public EngineConnector(Map<String, String> configured, ReplicaClient fixedClient, String identity, Clock clock) {
        this(configured, fixedClient, identity, clock, null);
    }

    /**
     * @param configured  settings set in Java, keyed by URI parameter name (URI parameters still win)
     * @param fixedClient a replica client to use instead of {@code replica_url}, or null
     * @param identity    the registry identity of {@code fixedClient}
     * @param environment what replica URLs are opened with (credential providers, variables), or null for the
     *                    process environment
     */
    public EngineConnector(Map<String, String> configured, ReplicaClient fixedClient, String identity, Clock clock,
            ReplicaEnvironment environment) {
        this.environment = environment;
        this.configured = Map.copyOf(configured);
        this.fixedClient = fixedClient;
        this.fixedIdentity = identity;
        this.clock = clock;
    }

    public VfsDatabase open(String name, OpenOptions options) throws IOException {
        EngineSettings settings = new EngineSettings(options, configured);
        String identity;
        String url;
        boolean fixed = fixedClient != null && !options.uriParameters().containsKey("replica_url");
        if (fixed) {
            url = null;
            identity = fixedIdentity; // declared by the embedder with its client: used as given
        } else {
            url = settings.replicaUrl(name);
            identity = canonicalIdentity(url);
        }
        // The settings of this open, as a joining open is checked against the running engine's; the default buffer
        // (file-size probes, a private-directory check) is only worked out when this open starts the engine.
        EngineOptions engine = settings.engineOptions(identity, clock);
        boolean scheduled = settings.scheduled();
        // One writer and one follower per replica in the process, whatever local name or URL spelling reached it.
        String key = EngineKeys.roleKey(identity, name, settings.writeEnabled());
        DatabaseRegistry.Handle h;
        try {
            h = acquire(key, name, fixed, url, identity, settings, engine, scheduled);
        } catch (BufferLockedException e) {
            // A script host's close cut by its bound may still hold the buffer (ExitWait): wait for it, once.
            String closing = ExitWait.awaitClose(e.location());
            if (closing == null || !closing.isEmpty()) throw locked(name, identity, e, closing, settings);
            try {
                h = acquire(key, name, fixed, url, identity, settings, engine, scheduled);
            } catch (BufferLockedException again) {
                throw locked(name, identity, again, null, settings);
            }
        }
        String readOnly = null;
        if (!h.opened()) {
            try {
                EngineKeys.checkJoin(h.database(), identity, name, settings);
                JoinedSettings.check(h.database(), identity, name, settings, engine);
                readOnly = JoinedSettings.readOnlyReason(h.database(), name, settings);
            } catch (IOException | RuntimeException e) {
                h.close();
                throw e;
            }
        }
        LAST_OPENED.set(new Opened(key, name, clock));
        EngineVfsDatabase opened = new EngineVfsDatabase(h, clock);
        if (readOnly != null) opened.readOnly(readOnly);
        return opened;
    }

    private static VfsConfigurationException locked(String name, String identity, BufferLockedException e,
            String closing, EngineSettings settings) throws VfsConfigurationException {
        if (closing != null) return new VfsConfigurationException("database " + name + ": " + closing);
        if (settings.bufferPath().isPresent()) {
            // A buffer named by the user may be another replica's (one LITESTREAM_BUFFER_PATH for two databases):
            // the lock tells nothing about this replica, so name the buffer and both ways out (field probe round 8).
            return new VfsConfigurationException("database " + name + ": the write buffer set by "
                    + settings.sourceOf("buffer_path") + " is in use by another writer (" + e.getMessage() + "). A"
                    + " write buffer belongs to one replica's writer: if that writer writes replica "
                    + redacted(identity) + ", stop it, or open this one read-only (?mode=ro, sqlite3 -readonly) or"
                    + " without write_enabled to read it as a follower; if it writes another replica, give this"
                    + " database a buffer of its own (the buffer_path URI parameter, or no buffer path: the default is"
                    + " one per replica)");
        }
        // Typically a second process writing the same replica (the default buffer is the replica's): say so.
        return new VfsConfigurationException("database " + name + ": replica " + redacted(identity) + " is being"
                + " written by another writer (" + e.getMessage() + "). One replica has one writer: stop the other"
                + " one, or open this one read-only (?mode=ro, sqlite3 -readonly) or without write_enabled to"
                + " read it as a follower");
    }

    private DatabaseRegistry.Handle acquire(String key, String name, boolean fixed, String url, String identity,
            EngineSettings settings, EngineOptions engine, boolean scheduled) throws IOException {
        return DatabaseRegistry.shared().acquire(key, name, () -> {
            EngineOptions first = engine;
            Optional<Path> defaultBuffer = fixed ? Optional.empty()
                    : EngineKeys.defaultBuffer(url, identity, name, settings);
            if (defaultBuffer.isPresent()) first = settings.engineOptions(identity, clock, defaultBuffer);
            // The engine's client stack, one per database: transient store errors (throttling, resets, short reads)
            // are retried with backoff before a page read or sync fails, an ambiguous create reaches the engine,
            // which resolves it, and requests are counted for Database.metrics(). A client built in code is used
            // as given (Database.open still counts its requests).
            ReplicaClient backend = fixed ? fixedClient : backend(new ClientKey(environment, url));
            Database db = Database.open(fixed ? backend : EngineClientStack.build(backend, System.nanoTime()), name,
                    first);
            if (scheduled) db.start();
            sharedDirectoryWarning(name, settings);
            return db;
        });
    }

    /**
     * The buffer's shared-directory warning once per engine open: pagestore logs it, and a script host (sqlite3,
     * Python), silent unless LITESTREAM_LOG_LEVEL is set, says it on stderr as it says other host messages.
     */
    private static void sharedDirectoryWarning(String name, EngineSettings settings) throws IOException {
        Optional<Path> buffer = settings.bufferPath();
        String warning = buffer.isEmpty() ? null : BufferPathException.sharedDirectoryWarning(buffer.get());
        if (warning != null && NativeBridge.scriptHost()) {
            System.err.println("litestream: " + name + ": warning: " + warning);
        }
    }

    /**
     * The backend's canonical identity of {@code url}, computed once per (environment, URL): every connection open
     * asks, and a provider lookup plus a real-path resolution per open would be waste.
     */
    private String canonicalIdentity(String url) throws VfsConfigurationException {
        ClientKey key = new ClientKey(environment, url);
        String known = IDENTITIES.get(key);
        if (known != null) return known;
        try {
            String id = ReplicaClients.canonicalIdentity(url, environment == null ? ReplicaEnvironment.system()
                    : environment);
            IDENTITIES.put(key, id);
            return id;
        } catch (ReplicaException e) {
            throw new VfsConfigurationException("replica URL " + redacted(url) + " (replica_url / "
                    + "LITESTREAM_REPLICA_URL): " + e.getMessage());
        }
    }

    /** Forgets what this thread opened last, before an open whose result {@link #attachLastOpened()} will take. */
    public static void clearLastOpened() {
        LAST_OPENED.remove();
    }

    /**
     * Another reference to the engine database this thread's last open (through any engine VFS) resolved to, while
     * that connection is still open. SQLite hands the VFS its own full path name (absolute, symbolic links
     * resolved), so going through a real open is the one sure way to address the database the pool's connections
     * use. The caller owns the result ({@link EngineVfsDatabase#close()} releases the reference).
     *
     * @throws IOException when this thread opened no engine database since {@link #clearLastOpened()}
     */
    public static EngineVfsDatabase attachLastOpened() throws IOException {
        Opened o = LAST_OPENED.get();
        LAST_OPENED.remove();
        if (o == null) throw new IOException("the connection was not opened by an engine-backed litestream VFS");
        DatabaseRegistry.Handle h = DatabaseRegistry.shared().acquire(o.identity(), o.name(), () -> {
            throw new IOException("database " + o.name() + " was closed while attaching to it");
        });
        return new EngineVfsDatabase(h, o.clock());
    }

    private static ReplicaClient backend(ClientKey key) throws VfsConfigurationException {
        ReplicaClient c = CLIENTS.get(key);
        if (c != null) return c;
        String url = key.url();
        synchronized (CLIENTS) {
            c = CLIENTS.get(key);
            if (c == null) {
                try {
                    c = key.environment() == null ? ReplicaClients.open(url)
                            : ReplicaClients.open(url, key.environment());
                } catch (ReplicaException e) {
                    throw new VfsConfigurationException("replica URL " + redacted(url) + " (replica_url / "
                            + "LITESTREAM_REPLICA_URL): " + e.getMessage());
                }
                CLIENTS.put(key, c);
            }
            return c;
        }
    }

    private static String redacted(String url) {
        return ReplicaUrl.redact(url); // also for text that does not parse: it may still hold KEY:SECRET@
    }
}
