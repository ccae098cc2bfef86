package dev.ltx4j.replica.azure;

import com.azure.core.credential.AzureSasCredential;
import dev.ltx4j.replica.support.GoPath;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaPermanentException;
import dev.ltx4j.replica.ReplicaTimeouts;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.azure.AzureReplicaConfig.Credential;
import java.util.Optional;

/**
 * Turns an {@code abs://[ACCOUNT@]CONTAINER[/PATH][?endpoint=URL]} replica URL into an {@link AzureReplicaConfig}.
 *
 * <p>Endpoint: the {@code endpoint} query parameter, else {@code LITESTREAM_AZURE_ENDPOINT}, else
 * {@code https://ACCOUNT.blob.core.windows.net}. Both endpoint sources are this project's additions (Litestream can
 * set an endpoint only in its YAML config); they make Azurite and sovereign clouds reachable from a URL.
 *
 * <p>Credentials, first match wins: {@code LITESTREAM_AZURE_SAS_TOKEN} (a leading {@code ?} is dropped),
 * {@code LITESTREAM_AZURE_ACCOUNT_KEY} with the account from the URL, {@code AZURE_STORAGE_CONNECTION_STRING}
 * (which may also supply account and endpoint); then a {@code TokenCredential} component of the environment (the
 * embedder's hook, {@link ReplicaEnvironment#with}); then {@code DefaultAzureCredential} (environment, workload
 * identity, managed identity, Azure CLI, ...), asked at the first request. Token credentials need an https endpoint.
 */
public final class AzureUrlParser {
    private AzureUrlParser() {}

    /** What the URL and environment say about where the replica is, before any credential is built. */
    private record Location(Optional<String> account, String container, String path, Optional<String> endpoint) {}

    private static final java.util.regex.Pattern AZURE_HOST =
            java.util.regex.Pattern.compile("^https://([a-z0-9]+)\\.blob\\.core\\.windows\\.net$");

    /**
     * The canonical identity ({@link dev.ltx4j.replica.ReplicaClientProvider#canonicalIdentity}), built without any
     * credential: {@code abs://ACCOUNT@CONTAINER/PATH} when the blob endpoint is Azure's own
     * {@code https://ACCOUNT.blob.core.windows.net} (from the URL's account, the {@code endpoint} parameter,
     * {@code LITESTREAM_AZURE_ENDPOINT} or the connection string), else {@code abs://CONTAINER/PATH?endpoint=E} with
     * the endpoint lower-cased in scheme and host, without default port, trailing slash, user info or query (Azurite's
     * {@code http://127.0.0.1:10000/devstoreaccount1} keeps its account path). Account and container names are
     * case-insensitive in Azure and lower-cased; the path is the key prefix as the client uses it.
     */
    public static String canonicalIdentity(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaPermanentException {
        Location loc = location(url, env);
        Optional<String> endpoint = loc.endpoint();
        boolean sasOrKey = env.get("LITESTREAM_AZURE_SAS_TOKEN").isPresent()
                || env.get("LITESTREAM_AZURE_ACCOUNT_KEY").isPresent();
        if (endpoint.isEmpty() && !sasOrKey) {
            endpoint = env.get("AZURE_STORAGE_CONNECTION_STRING").flatMap(AzureUrlParser::connectionStringEndpoint);
        }
        if (endpoint.isEmpty() && loc.account().isPresent()) {
            endpoint = Optional.of("https://" + loc.account().get() + ".blob.core.windows.net");
        }
        String container = loc.container().toLowerCase(java.util.Locale.ROOT);
        if (endpoint.isEmpty()) {
            if (sasOrKey || env.get("AZURE_STORAGE_CONNECTION_STRING").isEmpty()) {
                throw new ReplicaPermanentException("abs: account name is required when endpoint is not specified: "
                        + url.redacted() + " (use abs://ACCOUNT@CONTAINER/PATH or ?endpoint=)");
            }
            return "abs://" + container + "/" + loc.path(); // a connection string this parser cannot read
        }
        String e = canonicalEndpoint(endpoint.get());
        java.util.regex.Matcher m = AZURE_HOST.matcher(e);
        return m.matches() ? "abs://" + m.group(1) + "@" + container + "/" + loc.path()
                : "abs://" + container + "/" + loc.path() + "?endpoint=" + e;
    }

    /** The blob endpoint a connection string names (never its key or signature), if it names one. */
    private static Optional<String> connectionStringEndpoint(String cs) {
        java.util.Map<String, String> parts = new java.util.HashMap<>();
        for (String part : cs.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0) parts.put(part.substring(0, eq).trim().toLowerCase(java.util.Locale.ROOT), part.substring(eq + 1).trim());
        }
        if (parts.containsKey("blobendpoint")) return Optional.of(parts.get("blobendpoint"));
        if ("true".equalsIgnoreCase(parts.get("usedevelopmentstorage"))) {
            return Optional.of("http://127.0.0.1:10000/devstoreaccount1");
        }
        String account = parts.get("accountname");
        if (account == null || account.isEmpty()) return Optional.empty();
        return Optional.of(parts.getOrDefault("defaultendpointsprotocol", "https") + "://" + account + ".blob."
                + parts.getOrDefault("endpointsuffix", "core.windows.net"));
    }

    private static String canonicalEndpoint(String endpoint) throws ReplicaPermanentException {
        try {
            // Loopback spellings (Azurite at localhost or 127.0.0.1) are one host: dev.ltx4j.replica.support.EndpointIdentity.
            return dev.ltx4j.replica.support.EndpointIdentity.canonical(new java.net.URI(endpoint));
        } catch (java.net.URISyntaxException e) {
            // No cause: the exception's message holds the raw endpoint, credentials or signature included.
            throw new ReplicaPermanentException("abs: invalid endpoint '" + ReplicaUrl.redact(endpoint) + "': " + e.getReason());
        } catch (RuntimeException e) {
            throw new ReplicaPermanentException("abs: invalid endpoint '" + ReplicaUrl.redact(endpoint) + "'");
        }
    }

    private static Location location(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaPermanentException {
        if (!url.scheme().equals("abs")) {
            throw new ReplicaPermanentException("not an abs replica URL: " + url.redacted());
        }
        String authority = url.authority();
        int at = authority.lastIndexOf('@');
        Optional<String> account = at < 0 ? Optional.empty() : Optional.of(authority.substring(0, at)).filter(a -> !a.isEmpty());
        String container = authority.substring(at + 1);
        if (container.isEmpty()) {
            throw new ReplicaPermanentException("bucket required for abs replica URL " + url.redacted()
                    + " (expected abs://[ACCOUNT@]CONTAINER/PATH)");
        }
        // abs://ACCOUNT@CONTAINER is the grammar; anything else shaped like user info (ACCOUNT:KEY@, or a key
        // with a '/' that pushes the '@' into the path) is a pasted credential.
        boolean plainAccount = at >= 0 && !authority.substring(0, at).contains(":") && !url.path().contains("@");
        if ((account.isPresent() && account.get().contains(":")) || (url.hasUserInfo() && !plainAccount)) {
            throw new ReplicaPermanentException("abs: credentials in the replica URL are not supported: "
                    + url.redacted() + " (set LITESTREAM_AZURE_ACCOUNT_KEY or LITESTREAM_AZURE_SAS_TOKEN)");
        }
        Optional<String> endpoint = url.param("endpoint").filter(s -> !s.isEmpty())
                .or(() -> env.get("LITESTREAM_AZURE_ENDPOINT"))
                .map(e -> e.endsWith("/") ? e.substring(0, e.length() - 1) : e);
        if (endpoint.isPresent() && ReplicaUrl.hasUserInfo(endpoint.get())) {
            throw new ReplicaPermanentException("abs: credentials in the endpoint are not supported: '"
                    + ReplicaUrl.redact(endpoint.get()) + "' for replica " + url.redacted()
                    + " (set LITESTREAM_AZURE_ACCOUNT_KEY or LITESTREAM_AZURE_SAS_TOKEN instead)");
        }
        if (endpoint.isPresent() && !endpoint.get().matches("(?i)https?://[^/]+.*")) {
            throw new ReplicaPermanentException("abs: invalid endpoint '" + ReplicaUrl.redact(endpoint.get()) + "' for replica "
                    + url.redacted() + " (expected http(s)://HOST[:PORT][/ACCOUNT])");
        }
        return new Location(account, container, GoPath.replicaPath(url.path()), endpoint);
    }

    public static AzureReplicaConfig parse(ReplicaUrl url, ReplicaEnvironment env) throws ReplicaPermanentException {
        Location loc = location(url, env);
        Optional<String> account = loc.account();
        String container = loc.container();
        Optional<String> endpoint = loc.endpoint();
        Credential credential;
        Optional<String> sas = env.get("LITESTREAM_AZURE_SAS_TOKEN").map(t -> t.startsWith("?") ? t.substring(1) : t);
        Optional<String> key = env.get("LITESTREAM_AZURE_ACCOUNT_KEY");
        Optional<String> connectionString = env.get("AZURE_STORAGE_CONNECTION_STRING");
        if (sas.isPresent()) {
            credential = new Credential.SasToken(sas.get());
        } else if (key.isPresent()) {
            if (account.isEmpty()) {
                throw new ReplicaPermanentException("abs: LITESTREAM_AZURE_ACCOUNT_KEY is set but the replica URL "
                        + url.redacted() + " names no account (use abs://ACCOUNT@CONTAINER/PATH)");
            }
            credential = new Credential.SharedKey(account.get(), key.get());
        } else if (connectionString.isPresent()) {
            credential = new Credential.ConnectionString(connectionString.get());
        } else if (env.component(AzureSasCredential.class).isPresent()) {
            credential = new Credential.SasHook(env.component(AzureSasCredential.class).get());
        } else {
            credential = AzureTokenCredentials.from(env, url, account, endpoint);
        }
        if (endpoint.isEmpty() && !(credential instanceof Credential.ConnectionString)) {
            if (account.isEmpty()) {
                throw new ReplicaPermanentException("abs: account name is required when endpoint is not specified: "
                        + url.redacted() + " (use abs://ACCOUNT@CONTAINER/PATH or ?endpoint=)");
            }
            endpoint = Optional.of("https://" + account.get() + ".blob.core.windows.net");
        }
        return new AzureReplicaConfig(account, container, loc.path(), endpoint, credential,
                ReplicaTimeouts.from(url, env));
    }
}
