package dev.ltx4j.replica.s3;

import dev.ltx4j.conformance.SilentServer;
import dev.ltx4j.conformance.ThrottledStore;
import dev.ltx4j.conformance.Capabilities;
import dev.ltx4j.conformance.IdentitySpellings;
import dev.ltx4j.conformance.RawStore;
import dev.ltx4j.conformance.ReplicaClientConformanceTest;
import dev.ltx4j.replica.ReplicaClient;
import dev.ltx4j.replica.ReplicaEnvironment;
import dev.ltx4j.replica.ReplicaUrl;
import dev.ltx4j.replica.s3.S3ProxyServer.Endpoint;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The shared ReplicaClient conformance kit against S3Proxy 4.1.0. */
@ExtendWith(S3ProxyServer.class)
class S3ConformanceTest extends ReplicaClientConformanceTest {
    private final Endpoint server;
    private final S3Client raw;

    S3ConformanceTest(Endpoint server) {
        this.server = server;
        this.raw = server.rawClient();
    }

    private static StoreInTheMiddle ignoring;
    private static StoreInTheMiddle throttling;

    @AfterEach
    void closeRaw() {
        raw.close();
    }

    /** After the kit's own clean-up, which deletes what the clause's client left. */
    @AfterAll
    static void closeIgnoringStore() throws Exception {
        if (ignoring != null) {
            ignoring.close();
            ignoring = null;
        }
        if (throttling != null) {
            throttling.close();
            throttling = null;
        }
    }

    @Override
    protected ReplicaClient openClient(String prefix) throws Exception {
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", server.accessKey(),
                "AWS_SECRET_ACCESS_KEY", server.secretKey()));
        return S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse("s3://" + S3ProxyServer.BUCKET + "/" + prefix
                + "?endpoint=" + server.uri()), env), env);
    }

    /** A store that drops If-None-Match (S3Proxy behind {@link StoreInTheMiddle}), started for the one clause. */
    @Override
    protected Optional<ReplicaClient> openClientOnStoreIgnoringConditions(String prefix) throws Exception {
        if (ignoring == null) {
            ignoring = new StoreInTheMiddle();
        }
        ignoring.request = r -> r.without("if-none-match");
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s"));
        return Optional.of(S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse("s3://" + StoreInTheMiddle.BUCKET
                + "/" + prefix + "?endpoint=" + ignoring.uri()), env), env));
    }

    /** S3Proxy behind {@link StoreInTheMiddle} answering 503 SlowDown to everything; the SDK's waits made none. */
    @Override
    protected Optional<ThrottledStore> openThrottledClient(String prefix) throws Exception {
        if (throttling == null) {
            throttling = new StoreInTheMiddle();
            throttling.answer = r -> StoreInTheMiddle.Response.error(503, "SlowDown");
        }
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s"));
        StoreInTheMiddle store = throttling;
        return Optional.of(new ThrottledStore(S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse("s3://"
                + StoreInTheMiddle.BUCKET + "/" + prefix + "?endpoint=" + store.uri()), env), env,
                software.amazon.awssdk.retries.api.BackoffStrategy.retryImmediately()), () -> store.seen().size()));
    }

    @Override
    protected Optional<ReplicaClient> openUnreachableClient(String prefix) throws Exception {
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", server.accessKey(),
                "AWS_SECRET_ACCESS_KEY", server.secretKey()));
        return Optional.of(S3ReplicaClient.open(S3UrlParser.parse(ReplicaUrl.parse("s3://" + S3ProxyServer.BUCKET + "/"
                + prefix + "?endpoint=http://127.0.0.1:" + SilentServer.closedPort()), env), env));
    }

    @Override
    protected Optional<IdentitySpellings> identitySpellings(String prefix) {
        ReplicaEnvironment env = ReplicaEnvironment.of(Map.of("AWS_ACCESS_KEY_ID", server.accessKey(),
                "AWS_SECRET_ACCESS_KEY", server.secretKey()));
        String b = S3ProxyServer.BUCKET;
        String hostPort = server.uri().getHost() + ":" + server.uri().getPort();
        return Optional.of(new IdentitySpellings(new S3ReplicaClientProvider(), env, List.of(
                "s3://" + b + "/" + prefix + "?endpoint=" + server.uri(),
                "s3://" + b + "//" + prefix + "/./?region=eu-west-1&endpoint=" + server.uri() + "/",
                "s3://" + b + "/" + prefix + "/?forcePathStyle=true&endpoint=" + hostPort + "&partSize=6000000",
                "s3://" + b + "." + hostPort + "/x/../" + prefix,
                // The server listens on 127.0.0.1: localhost is the same server, so the same replica.
                "s3://" + b + "/" + prefix + "?endpoint=http://localhost:" + server.uri().getPort()),
                List.of("s3://" + b + "/" + prefix + "2?endpoint=" + server.uri(),
                        "s3://" + b + "/" + prefix + "/sub?endpoint=" + server.uri())));
    }

    @Override
    protected Capabilities capabilities() {
        // Without metadata S3 listings carry the upload time (LastModified), as in Litestream.
        return Capabilities.defaults().withTimestampsWithoutMetadata(false);
    }

    @Override
    protected Optional<RawStore> rawStore(String prefix) {
        S3KeyLayout layout = new S3KeyLayout(prefix);
        return Optional.of(new RawStore() {
            @Override
            public void putInLevel(int level, String name, byte[] data) {
                put(layout.levelPrefix(level) + name, data);
            }

            @Override
            public void putAtRoot(String relativePath, byte[] data) {
                put(layout.replicaPrefix() + relativePath, data);
            }
        });
    }

    private void put(String key, byte[] data) {
        raw.putObject(b -> b.bucket(S3ProxyServer.BUCKET).key(key), RequestBody.fromBytes(data));
    }
}
