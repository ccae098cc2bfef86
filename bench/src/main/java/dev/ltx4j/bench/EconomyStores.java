package dev.ltx4j.bench;

import com.azure.storage.blob.BlobServiceClientBuilder;
import dev.ltx4j.replica.ReplicaEnvironment;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The object stores {@link RequestEconomyBenchmark} measures against, each behind a {@link CountingHttpProxy}: an
 * in-process S3Proxy 4.1.0 (in-memory) and Azurite from {@code .cache/azurite-*} (installed there by the
 * replica-azure tests' {@code AzuriteServer}, in-memory, started with the same flags). Replica URLs name the proxy's
 * endpoint, so every request of the engine (and of the reference extension) passes through the counter.
 */
abstract class EconomyStores implements AutoCloseable {
    static final String CONTAINER = "econ";

    CountingHttpProxy proxy;

    /** {@code s3} or {@code abs}. */
    abstract String type();

    /** A replica URL for {@code path} through the proxy. */
    abstract String url(String path);

    /** Credentials for the engine. */
    abstract ReplicaEnvironment environment();

    /** Environment variables for the reference extension (credentials and endpoint). */
    abstract Map<String, String> referenceEnvironment();

    /** The request kind as billed: LIST, GET, HEAD, PUT, DELETE or other (POST of a multipart start, ...). */
    abstract String kind(String method, String target);

    /** Whether this request created a level-0 file (one sync of a writer). */
    abstract boolean isLevelZeroCreate(CountingHttpProxy.Exchange e);

    static String outcome(int status) {
        if (status >= 200 && status < 300) return "2xx";
        if (status == 404) return "404";
        if (status == 412 || status == 409) return "412/409";
        return "other";
    }

    static EconomyStores start(String type) throws Exception {
        return switch (type) {
            case "s3" -> new S3();
            case "abs", "azure" -> new Azure();
            default -> throw new IllegalArgumentException("unknown store '" + type + "'; use s3 or azure");
        };
    }

    @Override
    public void close() throws Exception {
        if (proxy != null) proxy.close();
    }

    /** S3Proxy 4.1.0 in this JVM, reached by reflection as in {@link ReplicaLifetimeBenchmark}. */
    static final class S3 extends EconomyStores {
        private static final String ACCESS = "econ-access";
        private static final String SECRET = "econ-secret-value";
        private final AutoCloseable server;

        S3() throws Exception {
            ClassLoader cl = S3.class.getClassLoader();
            Properties properties = new Properties();
            properties.setProperty("jclouds.identity", "");
            properties.setProperty("jclouds.credential", "");
            Object store = Class.forName("org.gaul.s3proxy.BlobStores", true, cl).getMethod("create", String.class,
                    Properties.class).invoke(null, "transient", properties);
            Class<?> storeType = Class.forName("org.gaul.s3proxy.blobstore.BlobStore", true, cl);
            Class<?> proxyType = Class.forName("org.gaul.s3proxy.S3Proxy", true, cl);
            Object builder = proxyType.getMethod("builder").invoke(null);
            builder.getClass().getMethod("blobStore", storeType).invoke(builder, store);
            builder.getClass().getMethod("endpoint", URI.class).invoke(builder, URI.create("http://127.0.0.1:0"));
            @SuppressWarnings({"unchecked", "rawtypes"})
            Class<Enum> authType = (Class<Enum>) Class.forName("org.gaul.s3proxy.auth.AuthenticationType", true, cl);
            builder.getClass().getMethod("awsAuthentication", authType, String.class, String.class).invoke(builder,
                    Enum.valueOf(authType, "AWS_V2_OR_V4"), ACCESS, SECRET);
            Object s3proxy = builder.getClass().getMethod("build").invoke(builder);
            proxyType.getMethod("start").invoke(s3proxy);
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!"STARTED".equals(proxyType.getMethod("getState").invoke(s3proxy))) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("S3Proxy did not start in 30 s");
                Thread.onSpinWait();
            }
            storeType.getMethod("createContainer", String.class).invoke(store, CONTAINER);
            server = () -> proxyType.getMethod("stop").invoke(s3proxy);
            proxy = new CountingHttpProxy(URI.create("http://127.0.0.1:" + proxyType.getMethod("getPort").invoke(s3proxy)));
        }

        @Override
        String type() {
            return "s3";
        }

        @Override
        String url(String path) {
            return "s3://" + CONTAINER + "/" + path + "?endpoint=" + proxy.uri() + "&region=us-east-1&forcePathStyle=true";
        }

        @Override
        ReplicaEnvironment environment() {
            return ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", ACCESS, "AWS_SECRET_ACCESS_KEY", SECRET));
        }

        @Override
        Map<String, String> referenceEnvironment() {
            return Map.of("AWS_ACCESS_KEY_ID", ACCESS, "AWS_SECRET_ACCESS_KEY", SECRET, "AWS_REGION", "us-east-1");
        }

        @Override
        String kind(String method, String target) {
            int q = target.indexOf('?');
            String path = q < 0 ? target : target.substring(0, q);
            String query = q < 0 ? "" : target.substring(q + 1);
            return switch (method) {
                // path style: /<bucket> or /<bucket>/ is the bucket (a listing), /<bucket>/<key> an object
                case "GET" -> query.contains("list-type=") || path.indexOf('/', 1) < 0 || path.indexOf('/', 1) == path.length() - 1
                        ? "LIST" : "GET";
                case "HEAD" -> "HEAD";
                case "PUT" -> "PUT";
                case "DELETE" -> "DELETE";
                case "POST" -> query.startsWith("delete") || query.contains("&delete") ? "DELETE" : "other";
                default -> "other";
            };
        }

        @Override
        boolean isLevelZeroCreate(CountingHttpProxy.Exchange e) {
            return e.method().equals("PUT") && e.status() / 100 == 2 && e.target().contains("/0000/");
        }

        @Override
        public void close() throws Exception {
            super.close();
            server.close();
        }
    }

    /** Azurite (node, in-memory) from the npm install the replica-azure tests keep in {@code .cache}. */
    static final class Azure extends EconomyStores {
        private static final String ACCOUNT = "devstoreaccount1";
        private static final String KEY =
                "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        private static final Pattern LISTENING = Pattern.compile("listens on (http://127\\.0\\.0\\.1:\\d+)");
        private final Process node;
        private final String endpoint;

        Azure() throws Exception {
            Path main = azuriteMain();
            node = new ProcessBuilder("node", main.toString(), "--blobHost", "127.0.0.1", "--blobPort", "0",
                    "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--loose")
                    .redirectErrorStream(true).start();
            Runtime.getRuntime().addShutdownHook(new Thread(node::destroyForcibly));
            CompletableFuture<String> url = new CompletableFuture<>();
            Thread drain = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        Matcher m = LISTENING.matcher(line);
                        if (m.find()) url.complete(m.group(1));
                    }
                } catch (IOException e) {
                    url.completeExceptionally(e);
                }
                url.completeExceptionally(new IllegalStateException("Azurite exited"));
            }, "azurite-output");
            drain.setDaemon(true);
            drain.start();
            proxy = new CountingHttpProxy(URI.create(url.get(60, TimeUnit.SECONDS)));
            endpoint = proxy.uri() + "/" + ACCOUNT;
            new BlobServiceClientBuilder().connectionString("DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT
                    + ";AccountKey=" + KEY + ";BlobEndpoint=" + endpoint + ";").buildClient()
                    .getBlobContainerClient(CONTAINER).createIfNotExists();
        }

        private static Path azuriteMain() throws IOException {
            Path cache = Path.of(System.getProperty("ltx4j.bench.cache", ".cache"));
            try (Stream<Path> dirs = Files.list(cache)) {
                return dirs.filter(d -> d.getFileName().toString().startsWith("azurite-"))
                        .map(d -> d.resolve("node_modules/azurite/dist/src/blob/main.js"))
                        .filter(Files::isRegularFile).findFirst()
                        .orElseThrow(() -> new IOException("no Azurite under " + cache.toAbsolutePath()
                                + "/azurite-*: run the replica-azure tests once (they npm-install it there)"));
            } catch (IOException e) {
                throw new IOException("no Azurite in " + cache.toAbsolutePath() + " (run from the repository root, or"
                        + " -Dltx4j.bench.cache=DIR): " + e.getMessage(), e);
            }
        }

        @Override
        String type() {
            return "abs";
        }

        @Override
        String url(String path) {
            return "abs://" + ACCOUNT + "@" + CONTAINER + "/" + path + "?endpoint=" + endpoint;
        }

        @Override
        ReplicaEnvironment environment() {
            return ReplicaEnvironment.of(Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", KEY));
        }

        @Override
        Map<String, String> referenceEnvironment() {
            return Map.of("LITESTREAM_AZURE_ACCOUNT_KEY", KEY);
        }

        @Override
        String kind(String method, String target) {
            String query = target.indexOf('?') < 0 ? "" : target.substring(target.indexOf('?') + 1).toLowerCase(Locale.ROOT);
            return switch (method) {
                case "GET" -> query.contains("comp=list") ? "LIST" : "GET";
                case "HEAD" -> "HEAD";
                case "PUT" -> "PUT";
                case "DELETE" -> "DELETE";
                case "POST" -> query.contains("comp=batch") ? "DELETE" : "other";
                default -> "other";
            };
        }

        @Override
        boolean isLevelZeroCreate(CountingHttpProxy.Exchange e) {
            // a single-request create (Put Blob) or the Put Block List that commits a staged one
            String target = java.net.URLDecoder.decode(e.target(), StandardCharsets.UTF_8);
            return e.method().equals("PUT") && e.status() / 100 == 2 && target.contains("/ltx/0/")
                    && !target.contains("comp=block&") && !target.endsWith("comp=block");
        }

        @Override
        public void close() throws Exception {
            super.close();
            node.destroy();
            if (!node.waitFor(10, TimeUnit.SECONDS)) node.destroyForcibly();
        }
    }
}
