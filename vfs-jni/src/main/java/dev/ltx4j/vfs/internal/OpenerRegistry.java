package dev.ltx4j.vfs.internal;

import dev.ltx4j.vfs.DatabaseOpener;
import dev.ltx4j.vfs.LocalFileDatabase;
import dev.ltx4j.vfs.OpenOptions;
import dev.ltx4j.vfs.VfsConfigurationException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/** Finds the {@link DatabaseOpener} for a VFS name, in the order documented on {@link DatabaseOpener}. */
public final class OpenerRegistry {
    /** The default VFS name. */
    public static final String DEFAULT_VFS = "litestream";
    /** Environment variable selecting a test-only backend. */
    public static final String TEST_BACKEND = "LITESTREAM_VFS_TEST_BACKEND";

    private static final Map<String, DatabaseOpener> REGISTERED = new ConcurrentHashMap<>();

    private OpenerRegistry() {
    }

    /** Binds {@code opener} to {@code vfsName}, replacing an earlier binding. */
    public static void register(String vfsName, DatabaseOpener opener) {
        REGISTERED.put(vfsName, Objects.requireNonNull(opener, "opener"));
    }

    /** Removes the binding of {@code vfsName}, if any. */
    public static void unregister(String vfsName) {
        REGISTERED.remove(vfsName);
    }

    /**
     * The opener for a database opened through {@code vfsName}.
     *
     * @param environment the process environment (for the test-backend switch)
     * @throws VfsConfigurationException when none applies; the message says what is missing
     */
    public static DatabaseOpener resolve(String vfsName, OpenOptions options, Map<String, String> environment)
            throws VfsConfigurationException {
        DatabaseOpener explicit = REGISTERED.get(vfsName);
        if (explicit != null) return explicit;
        if (!DEFAULT_VFS.equals(vfsName)) {
            throw new VfsConfigurationException("no DatabaseOpener is registered for the VFS '" + vfsName
                    + "' (use LitestreamVfs.register)");
        }
        String test = environment.get(TEST_BACKEND);
        if (test != null && !test.isEmpty()) {
            if (test.equals("local")) return LocalFileDatabase.opener();
            throw new VfsConfigurationException(TEST_BACKEND + " is '" + test + "'; the only test backend is 'local'");
        }
        List<DatabaseOpener> engines = Services.OPENERS;
        if (engines.size() > 1) {
            throw new VfsConfigurationException("more than one storage engine is installed: " + engines.stream()
                    .map(o -> o.getClass().getName()).collect(Collectors.joining(", ")));
        }
        if (engines.size() == 1) return engines.get(0);
        if (options.replicaUrl().isEmpty()) {
            throw new VfsConfigurationException("LITESTREAM_REPLICA_URL is not set (nor the replica_url URI parameter)");
        }
        throw new VfsConfigurationException("no storage engine is installed for the litestream VFS: no usable "
                + DatabaseOpener.class.getName() + " service on the class path"
                + (Services.FAILURE == null ? "" : " (" + Services.FAILURE + ")"));
    }

    /** Loaded once, on first need, with the loader that sees this module. */
    private static final class Services {
        static String FAILURE;
        static final List<DatabaseOpener> OPENERS = load();

        /** Providers that cannot be instantiated (e.g. engine jars missing from lib/) count as not installed. */
        private static List<DatabaseOpener> load() {
            List<DatabaseOpener> found = new ArrayList<>();
            try {
                for (ServiceLoader.Provider<DatabaseOpener> p : ServiceLoader
                        .load(DatabaseOpener.class, DatabaseOpener.class.getClassLoader()).stream().toList()) {
                    try {
                        found.add(p.get());
                    } catch (ServiceConfigurationError | LinkageError e) {
                        FAILURE = e.getMessage();
                    }
                }
            } catch (ServiceConfigurationError | LinkageError e) {
                FAILURE = e.getMessage();
            }
            return List.copyOf(found);
        }
    }
}
