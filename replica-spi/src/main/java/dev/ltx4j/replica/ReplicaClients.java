package dev.ltx4j.replica;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Opens a {@link ReplicaClient} from a replica URL such as {@code file:///var/lib/db}, {@code s3://bucket/db} or
 * {@code abs://container/db}. Backends are found with {@link ServiceLoader} on the module path and the class path;
 * put the backend's artifact (e.g. {@code dev.ltx4j:replica-s3}) next to this one to enable its scheme.
 *
 * <p>Error messages never contain secrets: URLs are shown through {@link ReplicaUrl#redacted()}.
 */
public final class ReplicaClients {
    /** Schemes ltx4j ships a backend for, and the artifact that provides each. */
    private static final Map<String, String> KNOWN_ARTIFACTS = Map.of(
            "file", "dev.ltx4j:replica-file",
            "s3", "dev.ltx4j:replica-s3",
            "abs", "dev.ltx4j:replica-azure");

    private ReplicaClients() {}

    /** {@link #open(String, ReplicaEnvironment)} with the process environment. */
    public static ReplicaClient open(String url) throws ReplicaException {
        return open(url, ReplicaEnvironment.system());
    }

    /**
     * Parses {@code url}, finds the provider registered for its scheme and lets it build the client.
     *
     * @throws ReplicaPermanentException when the URL has no scheme ({@code replica url scheme required: ...}),
     *     when no provider serves the scheme ({@code unsupported replica URL scheme: "x"}, listing the schemes
     *     available and, for a scheme ltx4j ships, the artifact to add), or when the provider rejects the URL
     */
    public static ReplicaClient open(String url, ReplicaEnvironment env) throws ReplicaException {
        return open(url, env, loadProviders());
    }

    /**
     * The canonical identity of the replica {@code url} names (see
     * {@link ReplicaClientProvider#canonicalIdentity}): equal for every spelling of one replica, secret-free.
     *
     * @throws ReplicaPermanentException as {@link #open(String, ReplicaEnvironment)} for a bad URL or scheme
     */
    public static String canonicalIdentity(String url, ReplicaEnvironment env) throws ReplicaException {
        ReplicaUrl parsed = ReplicaUrl.parse(url);
        return provider(parsed, loadProviders()).canonicalIdentity(parsed, env);
    }

    /** The schemes for which a provider is installed, sorted. */
    public static List<String> availableSchemes() {
        return List.copyOf(index(loadProviders()).keySet());
    }

    static ReplicaClient open(String url, ReplicaEnvironment env, Collection<ReplicaClientProvider> providers)
            throws ReplicaException {
        ReplicaUrl parsed = ReplicaUrl.parse(url);
        return provider(parsed, providers).open(parsed, env);
    }

    private static ReplicaClientProvider provider(ReplicaUrl parsed, Collection<ReplicaClientProvider> providers)
            throws ReplicaPermanentException {
        Map<String, ReplicaClientProvider> byScheme = index(providers);
        ReplicaClientProvider provider = byScheme.get(parsed.scheme());
        if (provider == null) {
            throw new ReplicaPermanentException(unsupportedMessage(parsed, byScheme.keySet()));
        }
        return provider;
    }

    private static String unsupportedMessage(ReplicaUrl url, Collection<String> available) {
        StringBuilder msg = new StringBuilder("unsupported replica URL scheme: \"").append(url.scheme()).append('"');
        msg.append(" in ").append(url.redacted());
        String artifact = KNOWN_ARTIFACTS.get(url.scheme());
        if (artifact != null) {
            msg.append("; the ").append(url.scheme()).append(" backend is not on the module path or class path: add the ")
                    .append(artifact).append(" artifact");
        }
        msg.append(available.isEmpty() ? "; no replica backends are installed" : "; available schemes: " + available);
        return msg.toString();
    }

    private static Map<String, ReplicaClientProvider> index(Collection<ReplicaClientProvider> providers) {
        Map<String, ReplicaClientProvider> byScheme = new TreeMap<>();
        for (ReplicaClientProvider p : providers) {
            byScheme.putIfAbsent(p.scheme().toLowerCase(Locale.ROOT), p);
        }
        return byScheme;
    }

    /**
     * Loads providers through this module's {@code uses} clause (module path, plus META-INF/services of the class
     * path seen by our loader) and through the thread's context loader (class-path setups with custom loaders).
     */
    private static List<ReplicaClientProvider> loadProviders() {
        List<ReplicaClientProvider> found = new ArrayList<>();
        collect(ServiceLoader.load(ReplicaClientProvider.class, ReplicaClients.class.getClassLoader()), found);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null && context != ReplicaClients.class.getClassLoader()) {
            collect(ServiceLoader.load(ReplicaClientProvider.class, context), found);
        }
        return found;
    }

    private static void collect(ServiceLoader<ReplicaClientProvider> loader, List<ReplicaClientProvider> into) {
        var it = loader.iterator();
        // A broken provider must not hide the working ones; it simply does not serve its scheme. The error
        // budget guards against an iterator that keeps failing at the same entry.
        for (int errors = 0; errors < 64; ) {
            try {
                if (!it.hasNext()) {
                    return;
                }
                into.add(it.next());
            } catch (ServiceConfigurationError e) {
                errors++;
            }
        }
    }
}
